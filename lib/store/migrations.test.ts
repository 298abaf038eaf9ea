import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMigrations } from './migrations.ts';

test('checkMigrations accepts versions 1..n in order', () => {
  checkMigrations('s', []);
  checkMigrations('s', [
    { version: 1, name: 'a', sql: 'SELECT 1' },
    { version: 2, name: 'b', sql: 'SELECT 1' },
  ]);
});

test('checkMigrations refuses gaps, duplicates, disorder and a start other than 1', () => {
  const m = (version: number) => ({ version, name: `v${version}`, sql: 'SELECT 1' });
  for (const versions of [[2], [1, 3], [1, 1], [2, 1], [0, 1]]) {
    assert.throws(
      () => checkMigrations('store', versions.map(m)),
      /store: migration \d+ has version/,
      versions.join(),
    );
  }
});
