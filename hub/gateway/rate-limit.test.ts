import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { freshRedisPrefix } from '../../test/helpers/services.ts';
import { RedisRateLimiter } from './rate-limit.ts';

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
