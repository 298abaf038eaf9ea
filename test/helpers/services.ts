import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import { missing } from './missing.ts';

const PG_ADMIN_URL = process.env['PLEXUS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['PLEXUS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** PostgreSQL or Redis cannot be reached: see `missing`. */
function unreachable(t: TestContext, what: string, error: unknown): null {
  return missing(t, `${what} unreachable: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * A fresh PostgreSQL database for one test, dropped in t.after. Returns its URL, or null when skipped.
 * Call it before opening connections: the drop runs first among the after hooks and terminates connections
 * still open, which pools from lib/store/pg.ts tolerate (a bare pg.Client needs an 'error' listener).
 */
export async function freshPgDatabase(t: TestContext): Promise<string | null> {
  const name = `plexus_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => {});
    return unreachable(t, 'PostgreSQL', error);
  }
  t.after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A Redis URL plus a key prefix unique to this test; keys under it are deleted in t.after. */
export async function freshRedisPrefix(t: TestContext): Promise<{ url: string; prefix: string } | null> {
  const prefix = `plexus-test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    return unreachable(t, 'Redis', error);
  }
  t.after(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  });
  return { url: REDIS_URL, prefix };
}
