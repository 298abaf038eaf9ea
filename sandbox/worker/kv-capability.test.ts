import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSqlite } from '../../lib/store/sqlite.ts';
import { tempDir } from '../test-support.ts';
import { QuotaExceeded } from './denied.ts';
import { KvStore, type KvTarget } from './kv-capability.ts';

const tool = (quota: { bytes: number; keys: number }): KvTarget => ({
  scope: 'did:key:a/t',
  name: 't',
  quota,
});

function openStore(t: { after(fn: () => void): void }, file = path.join(tempDir(t), 'kv.sqlite')): KvStore {
  const store = new KvStore(file);
  t.after(() => store.close());
  return store;
}

test('kv writes count key and value bytes against the byte quota; overwrites and deletes give bytes back', (t) => {
  const kv = openStore(t);
  // 'a' + '"xxxxxxxx"' is 11 bytes; the quota holds two such entries, not three.
  const target = tool({ bytes: 22, keys: 100 });
  kv.set(target, { key: 'a', value: 'x'.repeat(8) });
  kv.set(target, { key: 'b', value: 'x'.repeat(8) });
  assert.throws(
    () => kv.set(target, { key: 'c', value: 'x'.repeat(8) }),
    (error: unknown) =>
      error instanceof QuotaExceeded && /kv bytes: writing 'c' .* to 33 bytes/.test(error.message),
  );
  assert.equal(kv.get(target.scope, { key: 'c' }), null);
  // Rewriting a key is charged only the difference.
  kv.set(target, { key: 'a', value: 'y'.repeat(8) });
  kv.set(target, { key: 'a', value: '' });
  kv.set(target, { key: 'c', value: 'x'.repeat(4) });
  assert.equal(kv.delete(target.scope, { key: 'b' }), true);
  assert.equal(kv.delete(target.scope, { key: 'b' }), false);
  kv.set(target, { key: 'd', value: 'x'.repeat(6) });
  assert.deepEqual(kv.list(target.scope, {}), ['a', 'c', 'd']);
});

test('kv refuses a new key past the key quota but still rewrites existing keys', (t) => {
  const kv = openStore(t);
  const target = tool({ bytes: 1024 * 1024, keys: 2 });
  kv.set(target, { key: 'one', value: 1 });
  kv.set(target, { key: 'two', value: 2 });
  assert.throws(
    () => kv.set(target, { key: 'three', value: 3 }),
    (error: unknown) =>
      error instanceof QuotaExceeded && /kv keys: tool 't' already keeps 2 keys/.test(error.message),
  );
  kv.set(target, { key: 'two', value: 22 });
  assert.equal(kv.get(target.scope, { key: 'two' }), 22);
  // Another tool's quota is its own.
  kv.set({ ...target, scope: 'did:key:b/t' }, { key: 'three', value: 3 });
});

test('a write that shrinks what a tool keeps passes even past a quota lowered since', (t) => {
  const kv = openStore(t);
  kv.set(tool({ bytes: 1024, keys: 10 }), { key: 'k', value: 'x'.repeat(500) });
  const lowered = tool({ bytes: 100, keys: 10 });
  kv.set(lowered, { key: 'k', value: 'x'.repeat(400) });
  assert.throws(() => kv.set(lowered, { key: 'k', value: 'x'.repeat(450) }), QuotaExceeded);
});

test('a store written before quotas existed starts with its usage counted', (t) => {
  const file = path.join(tempDir(t), 'kv.sqlite');
  const old = openSqlite({ path: file });
  old.exec(`CREATE TABLE schema_migrations (
    store TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL,
    PRIMARY KEY (store, version));
    INSERT INTO schema_migrations VALUES ('sandbox_kv', 1, 'tool kv', 0);
    CREATE TABLE sandbox_kv (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
    INSERT INTO sandbox_kv VALUES ('did:key:a/t', 'old', '"xxxxxxxx"', 0);`);
  old.close();
  const kv = openStore(t, file);
  // 'old' + '"xxxxxxxx"' is 13 bytes already kept.
  const target = tool({ bytes: 20, keys: 10 });
  assert.throws(() => kv.set(target, { key: 'n', value: 'xxxxx' }), QuotaExceeded);
  kv.set(target, { key: 'n', value: 'xxxx' });
});
