import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateEd25519 } from '../../../lib/crypto/ed25519.ts';
import { agent, testClock } from '../testing.ts';
import { cachedKeyResolver, didKeyResolver } from './sender-keys.ts';

test('did:key resolves to its own key', async () => {
  const A = agent();
  assert.deepEqual(await didKeyResolver(A.did), { keys: [A.signing.publicKey], revoked: false });
});

test('the cached resolver asks once per TTL and falls back to did:key for unknown DIDs', async () => {
  const clock = testClock();
  const [known, unknown] = [agent(), agent()];
  const rotated = generateEd25519().publicKey;
  const asked: string[] = [];
  const resolve = cachedKeyResolver({
    lookup: (did) => {
      asked.push(did);
      return Promise.resolve(did === known.did ? { keys: [rotated], revoked: true } : null);
    },
    now: clock.now,
    ttlMs: 1000,
    maxEntries: 2,
  });
  assert.deepEqual(await resolve(known.did), { keys: [rotated], revoked: true });
  assert.deepEqual(await resolve(known.did), { keys: [rotated], revoked: true });
  assert.deepEqual(await resolve(unknown.did), { keys: [unknown.signing.publicKey], revoked: false });
  assert.deepEqual(asked, [known.did, unknown.did]);
  clock.advance(1000);
  await resolve(known.did);
  assert.deepEqual(asked, [known.did, unknown.did, known.did]);
});
