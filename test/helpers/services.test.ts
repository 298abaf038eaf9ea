import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freshPgDatabase, freshRedisPrefix } from './services.ts';

test('a fresh PostgreSQL database is usable and isolated', async (t) => {
  const url = await freshPgDatabase(t);
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  t.after(() => client.end());
  await client.connect();
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  assert.match(rows[0]?.db ?? '', /^plexus_test_[0-9a-f]{12}$/);
});

test('a fresh Redis prefix is usable', async (t) => {
  const fresh = await freshRedisPrefix(t);
  if (!fresh) return;
  const redis = new Redis(fresh.url);
  t.after(() => redis.disconnect());
  await redis.set(`${fresh.prefix}k`, 'v');
  assert.equal(await redis.get(`${fresh.prefix}k`), 'v');
});
