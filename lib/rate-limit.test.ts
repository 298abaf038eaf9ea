import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateLimiter } from './rate-limit.ts';

test('token bucket: burst, then refusals with Retry-After, refilled over time, per key', () => {
  let now = 0;
  const limiter = new MemoryRateLimiter({ burst: 2, perSecond: 0.5, now: () => now });
  assert.deepEqual(limiter.takeSync('a'), { allowed: true, retryAfterSeconds: 0 });
  assert.deepEqual(limiter.takeSync('a'), { allowed: true, retryAfterSeconds: 0 });
  assert.deepEqual(limiter.takeSync('a'), { allowed: false, retryAfterSeconds: 2 });
  assert.equal(limiter.takeSync('b').allowed, true, 'another identity has its own bucket');
  now = 1000;
  assert.deepEqual(limiter.takeSync('a'), { allowed: false, retryAfterSeconds: 1 });
  now = 2000;
  assert.equal(limiter.takeSync('a').allowed, true);
  now = 60_000;
  assert.equal(limiter.takeSync('a').allowed, true);
  assert.equal(limiter.takeSync('a').allowed, true);
  assert.equal(limiter.takeSync('a').allowed, false, 'refill is capped at the burst');
});

test('the key map stays bounded: full buckets go first, then the oldest', () => {
  const limiter = new MemoryRateLimiter({ burst: 1, perSecond: 0.001, now: () => 0, maxKeys: 3 });
  for (const key of ['a', 'b', 'c']) assert.equal(limiter.takeSync(key).allowed, true);
  assert.equal(limiter.takeSync('b').allowed, false);
  // A fourth identity evicts the oldest drained bucket ('a') instead of growing the map.
  assert.equal(limiter.takeSync('d').allowed, true);
  assert.equal(limiter.takeSync('b').allowed, false, 'newer buckets are kept');
  assert.equal(limiter.takeSync('a').allowed, true, 'the evicted one starts afresh');
});
