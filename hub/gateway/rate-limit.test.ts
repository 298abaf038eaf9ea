import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { freshRedisPrefix } from '../../test/helpers/services.ts';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limit.ts';

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

test('the Redis limiter shares one bucket across hub replicas', async (t) => {
  const redis = await freshRedisPrefix(t);
  if (redis === null) return;
  const { url, prefix } = redis;
  const one = new RedisRateLimiter(new Redis(url), { burst: 3, perSecond: 0.1, prefix });
  const two = new RedisRateLimiter(new Redis(url), { burst: 3, perSecond: 0.1, prefix });
  t.after(async () => {
    await one.close();
    await two.close();
  });
  const decisions = [
    await one.take('agent'),
    await two.take('agent'),
    await one.take('agent'),
    await two.take('agent'),
  ];
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, true, false],
  );
  assert.equal(decisions[3]?.retryAfterSeconds, 10);
  assert.equal((await one.take('other')).allowed, true);
});
