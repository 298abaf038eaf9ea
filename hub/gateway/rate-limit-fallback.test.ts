import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { silentLogger } from '../../lib/log.ts';
import { privateRedis } from '../../test/scale-out/private-redis.ts';
import { FallbackRateLimiter } from './rate-limit-fallback.ts';

test('a Redis outage degrades the shared bucket to a local one, and sharing resumes after reconnect', async (t) => {
  const server = await privateRedis(t);
  if (!server) return;
  const port = server.port;
  const redis = new Redis(port, '127.0.0.1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    retryStrategy: () => 100,
  });
  redis.on('error', () => {});
  await once(redis, 'ready');
  const limiter = new FallbackRateLimiter(redis, {
    burst: 2,
    perSecond: 0.01,
    prefix: 'rl:',
    log: silentLogger,
  });
  t.after(() => limiter.close());

  // Shared: the bucket lives in Redis.
  assert.equal((await limiter.take('a')).allowed, true);
  assert.equal(limiter.degraded, false);
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true });
  probe.on('error', () => {});
  await probe.connect();
  assert.equal(await probe.exists('rl:a'), 1);
  probe.disconnect();

  // Redis goes away: once the client knows, requests are decided by the local bucket (which still limits)
  // without a command sent to Redis; a command would wait out the timeout, and fail only then.
  await server.kill();
  if (redis.status === 'ready') await once(redis, 'close');
  const decisions = [await limiter.take('b'), await limiter.take('b'), await limiter.take('b')];
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, false],
  );
  assert.ok((decisions[2]?.retryAfterSeconds ?? 0) >= 1);
  assert.equal(limiter.degraded, true);

  // Redis comes back on the same port: the client reconnects and the shared bucket is used again.
  await server.restart();
  if (redis.status !== 'ready') await once(redis, 'ready');
  assert.equal((await limiter.take('c')).allowed, true);
  assert.equal(limiter.degraded, false);
  const again = new Redis(port, '127.0.0.1');
  again.on('error', () => {});
  t.after(() => again.disconnect());
  assert.equal(await again.exists('rl:c'), 1);
});
