import pg from 'pg';
import { tracePgQueries } from '../telemetry/store-spans.ts';
import { isTracing } from '../telemetry/tracing.ts';
import { checkMigrations, type Migration } from './migrations.ts';

export type PgPool = pg.Pool;

export function openPg(connectionString: string, options: { max?: number } = {}): PgPool {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // An idle client's error (server restart) must not crash the process; the pool replaces the client.
  pool.on('error', () => {});
  if (isTracing()) {
    const database = new URL(connectionString).pathname.slice(1) || 'postgres';
    tracePgQueries(pool, database);
    pool.on('connect', (client) => tracePgQueries(client, database));
  }
  return pool;
}

/**
 * Applies pending migrations for `store`. One advisory lock for every store: servers starting together on a
 * fresh database would otherwise race to create the shared `schema_migrations` table.
 */
const MIGRATION_LOCK = 'plexus-migrate';

export async function migratePg(
  pool: PgPool,
  store: string,
  migrations: readonly Migration[],
): Promise<void> {
  checkMigrations(store, migrations);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      store TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL,
      PRIMARY KEY (store, version))`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations WHERE store = $1',
      [store],
    );
    const done = new Set(rows.map((r) => r.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          'INSERT INTO schema_migrations (store, version, name, applied_at) VALUES ($1, $2, $3, $4)',
          [store, migration.version, migration.name, Date.now()],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
