import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerGate } from './peer-gate.ts';

const limits = { burst: 2, perSecond: 1, totalBurst: 3, totalPerSecond: 1, maxConcurrentAsks: 1 };

test('each peer has its own bucket, and all peers together share one', () => {
  let now = 0;
  const gate = new PeerGate(limits, () => now);
  gate.admit('did:key:a');
  gate.admit('did:key:a');
  assert.throws(() => gate.admit('did:key:a'), {
    code: 'rate_limited',
    message: 'too many calls from did:key:a',
    hint: 'retry in 1 s, or send through the hub',
  });
  gate.admit('did:key:b');
  // The third admitted call drained the shared bucket: a fresh peer is refused too.
  assert.throws(() => gate.admit('did:key:c'), {
    code: 'rate_limited',
    message: 'too many calls from all peers',
  });
  now = 5_000;
  gate.admit('did:key:a');
});

test('questions beyond maxConcurrentAsks are refused as busy until one finishes', async () => {
  const gate = new PeerGate(limits);
  let finish = (): void => undefined;
  const first = gate.asking(() => new Promise<string>((resolve) => (finish = () => resolve('answer'))));
  await assert.rejects(
    gate.asking(() => Promise.resolve('second')),
    { code: 'busy' },
  );
  finish();
  assert.equal(await first, 'answer');
  assert.equal(await gate.asking(() => Promise.resolve('third')), 'third');
});

test('a question that fails frees its place', async () => {
  const gate = new PeerGate(limits);
  await assert.rejects(
    gate.asking(() => Promise.reject(new Error('model down'))),
    /model down/,
  );
  assert.equal(await gate.asking(() => Promise.resolve('ok')), 'ok');
});
