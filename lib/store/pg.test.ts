import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import type { Migration } from './migrations.ts';
import { migratePg, openPg } from './pg.ts';

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL)' },
  {
    version: 2,
    name: 'tags',
    sql: 'CREATE TABLE tags (note INTEGER REFERENCES notes(id), tag TEXT NOT NULL)',
  },
];

test('migratePg applies each migration once, in order, even when started concurrently', async (t) => {
  const url = await freshPgDatabase(t);
  if (!url) return;
  const pool = openPg(url, { max: 4 });
  t.after(() => pool.end());
  await Promise.all([migratePg(pool, 'notes', MIGRATIONS), migratePg(pool, 'notes', MIGRATIONS)]);
  await migratePg(pool, 'notes', MIGRATIONS);
  const { rows } = await pool.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations WHERE store = $1 ORDER BY version',
    ['notes'],
  );
  assert.deepEqual(rows, [
    { version: 1, name: 'notes' },
    { version: 2, name: 'tags' },
  ]);
});

test('a failing migration rolls back and is not recorded', async (t) => {
  const url = await freshPgDatabase(t);
  if (!url) return;
  const pool = openPg(url);
  t.after(() => pool.end());
  const broken: Migration[] = [
    MIGRATIONS[0]!,
    { version: 2, name: 'half', sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE notes (again INTEGER)' },
  ];
  await assert.rejects(migratePg(pool, 'notes', broken), /already exists/);
  const versions = await pool.query('SELECT version FROM schema_migrations WHERE store = $1', ['notes']);
  assert.deepEqual(versions.rows, [{ version: 1 }]);
  const half = await pool.query<{ t: string | null }>("SELECT to_regclass('half') AS t");
  assert.equal(half.rows[0]?.t, null);
  await migratePg(pool, 'notes', MIGRATIONS);
  const after = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM schema_migrations WHERE store = $1',
    ['notes'],
  );
  assert.equal(after.rows[0]?.n, 2);
});
