import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RevocationCache } from './revocation.ts';

test('a DID’s standing is asked once per ttl, a revocation is kept for good, an outage keeps the last answer', async () => {
  let now = 0;
  const asked: string[] = [];
  const standing = new Map<string, string | null>([['did:key:a', null]]);
  let down = false;
  const cache = new RevocationCache(
    (did) => {
      asked.push(did);
      if (down) return Promise.reject(new Error('identity unreachable'));
      return Promise.resolve(standing.get(did) ?? null);
    },
    { ttlMs: 1000, now: () => now },
  );
  assert.deepEqual(await Promise.all([cache.refusal('did:key:a'), cache.refusal('did:key:a')]), [null, null]);
  assert.equal(asked.length, 1, 'concurrent checks share one question');
  now = 999;
  assert.equal(await cache.refusal('did:key:a'), null);
  assert.equal(asked.length, 1);
  standing.set('did:key:a', 'did:key:a was revoked by its own key');
  now = 1000;
  assert.equal(await cache.refusal('did:key:a'), 'did:key:a was revoked by its own key');
  down = true;
  now = 60_000;
  assert.match((await cache.refusal('did:key:a')) ?? '', /revoked/, 'revoked stays revoked without asking');
  assert.equal(asked.length, 2);
  assert.equal(await cache.refusal('did:key:b'), null, 'never checked and unreachable: the token decides');
  standing.set('did:key:b', 'did:key:b was revoked by an operator (operator:ops): lost');
  down = false;
  assert.equal(
    await cache.refusal('did:key:b'),
    'did:key:b was revoked by an operator (operator:ops): lost',
    'a failed check is not cached',
  );
  cache.revoked('did:key:c', 'did:key:c was revoked by an operator (operator:ops): here');
  assert.match((await cache.refusal('did:key:c')) ?? '', /here/, 'a revocation made here is known at once');
  assert.equal(asked.includes('did:key:c'), false);
});
