import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { privateKvFile } from './kv-file.ts';
import { tempDir } from './test-support.ts';

const mode = (file: string): number => statSync(file).mode & 0o777;

test('the kv file is created 0600 in a 0700 folder', (t) => {
  const file = path.join(tempDir(t), 'data', 'sandbox', 'kv.sqlite');
  assert.deepEqual(privateKvFile(file), []);
  assert.equal(mode(file), 0o600);
  assert.equal(mode(path.dirname(file)), 0o700);
  assert.throws(() => privateKvFile('data/sandbox/kv.sqlite'), /absolute path/);
});

test('an existing kv file and folder readable by others are tightened and reported', (t) => {
  const dir = path.join(tempDir(t), 'sandbox');
  const file = path.join(dir, 'kv.sqlite');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const name of [file, `${file}-wal`]) {
    writeFileSync(name, '');
    chmodSync(name, 0o644);
  }
  assert.deepEqual(privateKvFile(file), [dir, file, `${file}-wal`]);
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(file), 0o600);
  assert.equal(mode(`${file}-wal`), 0o600);
  // Modes already tighter than required are left alone.
  chmodSync(file, 0o400);
  assert.deepEqual(privateKvFile(file), []);
  assert.equal(mode(file), 0o400);
});
