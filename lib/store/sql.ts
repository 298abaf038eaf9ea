import type Database from 'better-sqlite3';
import type { Migration } from './migrations.ts';
import { migratePg, openPg } from './pg.ts';
import { migrateSqlite, openSqlite } from './sqlite.ts';

/**
 * One small query interface over SQLite and PostgreSQL, for stores whose SQL is portable: statements are
 * written once with `?` placeholders (numbered for PostgreSQL here), and each call is one statement, atomic
 * on its own. Integers come back as numbers on both (PostgreSQL BIGINT columns arrive as strings, so callers
 * pass them through Number()).
 */
export interface Sql {
  /** Runs a write; resolves to the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  close(): Promise<void>;
}

/** SQLite through better-sqlite3: prepared once per statement text. */
export function sqliteSql(path: string, store: string, migrations: readonly Migration[]): Sql {
  const db = openSqlite({ path });
  migrateSqlite(db, store, migrations);
  const statements = new Map<string, Database.Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare<unknown[]>(sql)));
    return statement;
  };
  return {
    run: (sql, params = []) => Promise.resolve(prepared(sql).run(...params).changes),
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      Promise.resolve(prepared(sql).all(...params) as T[]),
    get: <T>(sql: string, params: readonly unknown[] = []) =>
      Promise.resolve(prepared(sql).get(...params) as T | undefined),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the statements here hold no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** PostgreSQL through a pg pool, migrated under the shared advisory lock. */
export async function pgSql(url: string, store: string, migrations: readonly Migration[]): Promise<Sql> {
  const pool = openPg(url);
  try {
    await migratePg(pool, store, migrations);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const texts = new Map<string, string>();
  const text = (sql: string) => {
    let converted = texts.get(sql);
    if (converted === undefined) texts.set(sql, (converted = numbered(sql)));
    return converted;
  };
  return {
    run: async (sql, params = []) => (await pool.query(text(sql), [...params])).rowCount ?? 0,
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await pool.query(text(sql), [...params])).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await pool.query(text(sql), [...params])).rows[0] as T | undefined,
    close: () => pool.end(),
  };
}
