import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { migrateSqlite, openSqlite } from '../lib/store/sqlite.ts';
import { MIGRATIONS, Mailbox, type NewMessage } from './mailbox.ts';

function tempFile(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-mailbox-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'agent.db');
}

const message = (id: string, queue: NewMessage['queue'] = 'brain'): NewMessage => ({
  id,
  direction: 'in',
  peer: 'did:key:z6MkSender',
  peerName: null,
  thread: null,
  type: queue === 'tasks' ? 'task/assign' : 'chat/message',
  text: id,
  content: { text: id },
  sentAt: 1,
  queue,
});

test('a received message waits in its queue until it is done, in the order it was stored', (t) => {
  const mailbox = new Mailbox(tempFile(t));
  t.after(() => mailbox.close());
  // Stored out of id order and within one millisecond: the store order is what counts.
  for (const id of ['m3', 'm1', 'm2']) mailbox.put(message(id), 10);
  mailbox.put(message('t1', 'tasks'), 10);
  mailbox.put({ ...message('note', null), type: 'custom/type' }, 10);
  const ids = (queue: 'brain' | 'tasks') => mailbox.unprocessed(queue).map((m) => [m.id, m.processing]);
  assert.deepEqual(ids('brain'), [
    ['m3', 'pending'],
    ['m1', 'pending'],
    ['m2', 'pending'],
  ]);
  assert.deepEqual(ids('tasks'), [['t1', 'pending']]);
  assert.equal(mailbox.unprocessedCount(), 4);
  mailbox.setProcessing('m3', 'started');
  mailbox.setProcessing('m1', 'done');
  assert.deepEqual(ids('brain'), [
    ['m3', 'started'],
    ['m2', 'pending'],
  ]);
  assert.equal(mailbox.unprocessedCount(), 3);
  assert.deepEqual(
    mailbox.unprocessed('brain', 1).map((m) => m.id),
    ['m3'],
  );
  assert.equal(mailbox.list().find((m) => m.id === 'note')?.processing, 'done', 'nothing to do: done');
  assert.equal(mailbox.put(message('m1'), 11), false, 'a copy changes nothing');
  assert.equal(mailbox.list().find((m) => m.id === 'm1')?.processing, 'done');
});

test('messages stored before the processing state count as handled: an upgrade hands nothing over again', (t) => {
  const file = tempFile(t);
  const old = openSqlite({ path: file });
  migrateSqlite(old, 'agent-host', MIGRATIONS.slice(0, 3));
  old.exec(`INSERT INTO messages (id, direction, peer, type, text, content, sent_at, stored_at)
    VALUES ('old', 'in', 'did:key:z6MkSender', 'chat/message', 'hi', '{}', 1, 2)`);
  old.close();
  const mailbox = new Mailbox(file);
  t.after(() => mailbox.close());
  assert.deepEqual(mailbox.unprocessed('brain'), []);
  assert.equal(mailbox.list()[0]?.processing, 'done');
});
