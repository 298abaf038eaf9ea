import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UUIDV7_PATTERN } from '../../schemas/common.ts';
import { uuidv7, uuidv7Timestamp } from './uuidv7.ts';

test('uuidv7 has the v7 layout and carries its millisecond timestamp', () => {
  const at = 1_760_000_123_456;
  const id = uuidv7(at);
  assert.match(id, UUIDV7_PATTERN);
  assert.equal(uuidv7Timestamp(id), at);
  assert.equal(uuidv7Timestamp(uuidv7(0)), 0);
});

test('ids made in the same millisecond are distinct and sort in creation order', () => {
  const ids = Array.from({ length: 2000 }, () => uuidv7(1_760_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  for (const id of ids) assert.match(id, UUIDV7_PATTERN);
});

test('ids sort by time across milliseconds', () => {
  const a = uuidv7(1_000);
  const b = uuidv7(1_001);
  const c = uuidv7(2_000_000_000_000);
  assert.ok(a < b && b < c);
});
