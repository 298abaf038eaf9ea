import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RevocationCache } from './revocation.ts';

test('a DID’s standing is asked once per ttl, a revocation is kept for good, an outage keeps the last answer', async () => {
  let now = 0;
  const asked: string[] = [];
  const standing = new Map([['did:key:a', false]]);
  let down = false;
  const cache = new RevocationCache(
    (did) => {
      asked.push(did);
      if (down) return Promise.reject(new Error('identity unreachable'));
      return Promise.resolve(standing.get(did) ?? false);
    },
    { ttlMs: 1000, now: () => now },
  );
  assert.deepEqual(await Promise.all([cache.isRevoked('did:key:a'), cache.isRevoked('did:key:a')]), [
    false,
    false,
  ]);
  assert.equal(asked.length, 1, 'concurrent checks share one question');
  now = 999;
  assert.equal(await cache.isRevoked('did:key:a'), false);
  assert.equal(asked.length, 1);
  standing.set('did:key:a', true);
  now = 1000;
  assert.equal(await cache.isRevoked('did:key:a'), true);
  down = true;
  now = 60_000;
  assert.equal(await cache.isRevoked('did:key:a'), true, 'revoked stays revoked without asking');
  assert.equal(asked.length, 2);
  assert.equal(await cache.isRevoked('did:key:b'), false, 'never checked and unreachable: the token decides');
  standing.set('did:key:b', true);
  down = false;
  assert.equal(await cache.isRevoked('did:key:b'), true, 'a failed check is not cached');
});
