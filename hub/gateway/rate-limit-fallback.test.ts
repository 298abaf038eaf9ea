import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { silentLogger } from '../../lib/log.ts';
import { FallbackRateLimiter } from './rate-limit-fallback.ts';

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** A private Redis this test can kill and restart (no persistence). */
async function startRedis(port: number): Promise<ChildProcess | null> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const failed = once(child, 'error').then(() => null);
  const ready = new Promise<ChildProcess>((resolve) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve(child);
    });
  });
  return Promise.race([ready, failed]);
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

test('a Redis outage degrades the shared bucket to a local one, and sharing resumes after reconnect', async (t) => {
  const port = await freePort();
  let server = await startRedis(port);
  if (!server) {
    if (process.env['CI']) throw new Error('redis-server is not installed (CI needs it)');
    t.skip('redis-server is not installed');
    return;
  }
  t.after(() => server && stopRedis(server));
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

  // Redis goes away: requests are still decided, at once, by the local bucket (which still limits).
  await stopRedis(server);
  const started = Date.now();
  const decisions = [await limiter.take('b'), await limiter.take('b'), await limiter.take('b')];
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, false],
  );
  assert.ok((decisions[2]?.retryAfterSeconds ?? 0) >= 1);
  assert.equal(limiter.degraded, true);
  assert.ok(Date.now() - started < 2000, 'a dead Redis costs no waiting');

  // Redis comes back on the same port: the client reconnects and the shared bucket is used again.
  server = await startRedis(port);
  assert.ok(server);
  if (redis.status !== 'ready') await once(redis, 'ready');
  assert.equal((await limiter.take('c')).allowed, true);
  assert.equal(limiter.degraded, false);
  const again = new Redis(port, '127.0.0.1');
  again.on('error', () => {});
  t.after(() => again.disconnect());
  assert.equal(await again.exists('rl:c'), 1);
});
