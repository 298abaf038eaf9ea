import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nestedDeeperThan } from './json-depth.ts';

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

test('nesting is counted in objects and arrays, up to the limit and no further', () => {
  assert.equal(nestedDeeperThan('text', 0), false);
  assert.equal(nestedDeeperThan({}, 1), false);
  assert.equal(nestedDeeperThan(nested(64), 64), false);
  assert.equal(nestedDeeperThan(nested(65), 64), true);
  assert.equal(nestedDeeperThan({ wide: Array.from({ length: 1000 }, () => ({ x: 1 })) }, 3), false);
});

test('a body nested a hundred thousand levels deep is judged without exhausting the stack', () => {
  assert.equal(nestedDeeperThan(nested(100_000), 64), true);
});
