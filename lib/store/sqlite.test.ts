import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Migration } from './migrations.ts';
import { migrateSqlite, openSqlite, type Sqlite } from './sqlite.ts';

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(t: TestContext, file: string): Sqlite {
  const db = openSqlite({ path: file });
  t.after(() => db.close());
  return db;
}

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' },
  {
    version: 2,
    name: 'tags',
    sql: `CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes(id), tag TEXT NOT NULL);
          CREATE INDEX tags_by_tag ON tags(tag)`,
  },
];

test('openSqlite creates parent folders and sets WAL, foreign keys and a busy timeout', (t) => {
  const file = path.join(tempDir(t), 'nested', 'deeper', 'db.sqlite');
  const db = open(t, file);
  assert.ok(fs.existsSync(file));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
});

test('migrateSqlite applies each migration once, in order, and records it', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite');
  const db = open(t, file);
  migrateSqlite(db, 'notes', MIGRATIONS.slice(0, 1));
  db.prepare('INSERT INTO notes (body) VALUES (?)').run('kept');
  migrateSqlite(db, 'notes', MIGRATIONS);
  migrateSqlite(db, 'notes', MIGRATIONS);
  const applied = db
    .prepare('SELECT version, name FROM schema_migrations WHERE store = ? ORDER BY version')
    .all('notes');
  assert.deepEqual(applied, [
    { version: 1, name: 'notes' },
    { version: 2, name: 'tags' },
  ]);
  assert.equal((db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n, 1);
  // Foreign keys are enforced in the migrated schema.
  assert.throws(() => db.prepare('INSERT INTO tags (note, tag) VALUES (99, ?)').run('x'), /FOREIGN KEY/);
});

test('a failing migration rolls back entirely and is not recorded', (t) => {
  const db = open(t, path.join(tempDir(t), 'db.sqlite'));
  const broken: Migration[] = [
    MIGRATIONS[0]!,
    { version: 2, name: 'half', sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE notes (again INTEGER)' },
  ];
  assert.throws(() => migrateSqlite(db, 'notes', broken), /already exists/);
  const versions = db.prepare('SELECT version FROM schema_migrations WHERE store = ?').pluck().all('notes');
  assert.deepEqual(versions, [1]);
  const half = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get();
  assert.equal(half, undefined);
  // Fixed, it applies.
  migrateSqlite(db, 'notes', MIGRATIONS);
  assert.deepEqual(
    db.prepare('SELECT version FROM schema_migrations WHERE store = ?').pluck().all('notes'),
    [1, 2],
  );
});

test('stores sharing a database keep separate version lists', (t) => {
  const db = open(t, ':memory:');
  migrateSqlite(db, 'a', [{ version: 1, name: 'a1', sql: 'CREATE TABLE a (x)' }]);
  migrateSqlite(db, 'b', [
    { version: 1, name: 'b1', sql: 'CREATE TABLE b (x)' },
    { version: 2, name: 'b2', sql: 'CREATE TABLE b2 (x)' },
  ]);
  const rows = db.prepare('SELECT store, version FROM schema_migrations ORDER BY store, version').all();
  assert.deepEqual(rows, [
    { store: 'a', version: 1 },
    { store: 'b', version: 1 },
    { store: 'b', version: 2 },
  ]);
});

test('a reopened database applies only what is pending', (t) => {
  const file = path.join(tempDir(t), 'db.sqlite');
  const first = openSqlite({ path: file });
  migrateSqlite(first, 'notes', MIGRATIONS.slice(0, 1));
  first.close();
  const db = open(t, file);
  migrateSqlite(db, 'notes', MIGRATIONS);
  assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').pluck().all(), [1, 2]);
});

test('migrateSqlite refuses out-of-order migrations before touching the database', (t) => {
  const db = open(t, ':memory:');
  assert.throws(() => migrateSqlite(db, 'x', [MIGRATIONS[1]!, MIGRATIONS[0]!]), /version/);
  assert.equal(
    db.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get(),
    undefined,
  );
});
