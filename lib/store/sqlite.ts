import path from 'node:path';
import Database from 'better-sqlite3';
import { traceSqlite } from '../telemetry/store-spans.ts';
import { isTracing } from '../telemetry/tracing.ts';
import type { Logger } from '../log.ts';
import { checkMigrations, type Migration } from './migrations.ts';
import { privateSqliteFile } from './private-files.ts';

export type Sqlite = Database.Database;

export interface OpenSqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** Told when an existing file was readable by others and had to be tightened. */
  log?: Logger | undefined;
}

/**
 * Opens a SQLite database the way every Plexus store wants it: owner-only files, WAL, foreign keys, a busy
 * timeout.
 */
export function openSqlite(options: OpenSqliteOptions): Sqlite {
  if (options.path !== ':memory:') privateSqliteFile(options.path, options.log);
  const db = new Database(options.path);
  if (isTracing()) traceSqlite(db, path.basename(options.path));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Other processes may write the same file (two agents, a CLI beside a running agent): wait, don't fail.
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Applies pending migrations for `store`, each in its own IMMEDIATE transaction. */
export function migrateSqlite(db: Sqlite, store: string, migrations: readonly Migration[]): void {
  checkMigrations(store, migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    store TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL,
    PRIMARY KEY (store, version))`);
  const applied = db.prepare('SELECT version FROM schema_migrations WHERE store = ?');
  const record = db.prepare(
    'INSERT INTO schema_migrations (store, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      const done = new Set((applied.all(store) as { version: number }[]).map((r) => r.version));
      if (done.has(migration.version)) return;
      db.exec(migration.sql);
      record.run(store, migration.version, migration.name, Date.now());
    });
    apply.immediate();
  }
}
