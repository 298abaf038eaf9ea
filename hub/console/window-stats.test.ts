import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketDelta, histogramQuantile, ratePerSecond } from './window-stats.ts';

function near(actual: number | null, expected: number): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
}

test('a counter rate over a window; a reset counts from zero', () => {
  assert.equal(ratePerSecond(110, 100, 5), 2);
  assert.equal(ratePerSecond(3, 100, 5), 0.6);
  assert.equal(ratePerSecond(5, 1, 0), 0);
});

test('histogram quantiles interpolate within the bucket, as histogram_quantile does', () => {
  // 10 observations: 4 up to 0.01 s, 5 more up to 0.1 s, 1 more up to 1 s.
  const buckets = new Map([
    [0.01, 4],
    [0.1, 9],
    [1, 10],
    [Infinity, 10],
  ]);
  near(histogramQuantile(0.5, buckets), 0.01 + (0.09 * (5 - 4)) / 5);
  near(histogramQuantile(0.99, buckets), 0.1 + 0.9 * 0.9);
  near(histogramQuantile(0.2, buckets), 0.005);
  assert.equal(histogramQuantile(0.5, new Map([[Infinity, 0]])), null);
  // Beyond the highest finite bound: that bound.
  assert.equal(
    histogramQuantile(
      0.99,
      new Map([
        [1, 1],
        [Infinity, 10],
      ]),
    ),
    1,
  );
});

test('a window of a histogram: the newer reading less the older one', () => {
  const older = new Map([
    [0.1, 3],
    [Infinity, 4],
  ]);
  const newer = new Map([
    [0.1, 5],
    [Infinity, 9],
  ]);
  assert.deepEqual(
    [...bucketDelta(newer, older)],
    [
      [0.1, 2],
      [Infinity, 5],
    ],
  );
  assert.deepEqual([...bucketDelta(newer, undefined)], [...newer]);
});
