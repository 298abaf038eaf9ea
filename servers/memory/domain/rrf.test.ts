import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reciprocalRankFusion } from './rrf.ts';

test('items high in both lists beat items high in one', () => {
  const fused = reciprocalRankFusion(
    [
      ['a', 'b', 'c'],
      ['b', 'd', 'a'],
    ],
    (x) => x,
  );
  assert.deepEqual(
    fused.map((f) => f.item),
    ['b', 'a', 'd', 'c'],
  );
  assert.deepEqual(fused[0]?.ranks, [2, 1]);
  assert.deepEqual(fused[3]?.ranks, [3, null]);
  assert.equal(fused[0]?.score, 1 / 62 + 1 / 61);
});
