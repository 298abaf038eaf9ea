import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { GroupCommit } from './group-commit.ts';
import { openSqlite, type Sqlite } from './sqlite.ts';

function notesDb(t: TestContext): { db: Sqlite; reader: Sqlite } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
  const file = path.join(dir, 'notes.db');
  const db = openSqlite({ path: file });
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)');
  // A second connection sees only what was committed.
  const reader = openSqlite({ path: file });
  t.after(() => {
    reader.close();
    if (db.open) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { db, reader };
}

test('writes of one turn commit together; one that throws is rolled back and rejected alone', async (t) => {
  const { db, reader } = notesDb(t);
  const writes = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO notes (body) VALUES (?)');
  const committed = () => reader.prepare('SELECT body FROM notes ORDER BY id').pluck().all();
  const inTransaction: boolean[] = [];
  const a = writes.run(() => {
    inTransaction.push(db.inTransaction);
    return insert.run('a').changes;
  });
  const b = writes.run(() => {
    insert.run('b');
    insert.run('a'); // breaks the UNIQUE constraint: b goes with it
  });
  const c = writes.run(() => insert.run('c').changes);
  // Nothing is written before the turn ends.
  assert.deepEqual(committed(), []);
  assert.equal(await a, 1);
  await assert.rejects(b, /UNIQUE/);
  assert.equal(await c, 1);
  assert.deepEqual(inTransaction, [true]);
  // Settled means committed: another connection sees a and c, never b.
  assert.deepEqual(committed(), ['a', 'c']);
});

test('a write asked for as the database closes is committed first; after that it is refused', async (t) => {
  const { db, reader } = notesDb(t);
  const writes = new GroupCommit(db);
  const pending = writes.run(() => db.prepare("INSERT INTO notes (body) VALUES ('last')").run().changes);
  writes.flush();
  db.close();
  assert.equal(await pending, 1);
  assert.deepEqual(reader.prepare('SELECT body FROM notes').pluck().all(), ['last']);
  await assert.rejects(
    writes.run(() => 0),
    /closed/,
  );
});
