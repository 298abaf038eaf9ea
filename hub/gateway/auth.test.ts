import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519Jwk, signAccessToken, type Jwks } from '../../lib/auth/access-token.ts';
import { generateEd25519 } from '../../lib/crypto/ed25519.ts';
import { JwksCache, jwksTokenVerifier, refusalReason } from './auth.ts';
import { VerifiedTokens } from './verified-tokens.ts';

async function key() {
  const pair = generateEd25519();
  const jwk = await ed25519Jwk(pair.publicKey);
  return { jwk, signing: { kid: jwk.kid, secretKey: pair.secretKey } };
}

test('tokens verify against the cached JWKS; a rotated key is fetched once, made-up kids are not chased', async () => {
  let now = 1_000_000;
  const first = await key();
  const second = await key();
  let published: Jwks = { keys: [first.jwk] };
  let fetches = 0;
  const jwks = new JwksCache(
    () => {
      fetches++;
      return Promise.resolve(published);
    },
    { ttlMs: 300_000, minRefetchMs: 10_000, now: () => now },
  );
  const verify = jwksTokenVerifier({ jwks, issuer: 'iss', audience: ['plexus'], now: () => now });
  const sign = (k: Awaited<ReturnType<typeof key>>, scopes = ['read']) =>
    signAccessToken({
      key: k.signing,
      subject: 'did:key:z6Mkexample',
      scopes,
      issuer: 'iss',
      audience: 'plexus',
      ttlSeconds: 600,
      now,
    }).then((t) => t.token);

  const auth = await verify(await sign(first, ['read', 'write']));
  assert.deepEqual([auth.clientId, auth.scopes], ['did:key:z6Mkexample', ['read', 'write']]);
  await verify(await sign(first));
  assert.equal(fetches, 1, 'cached');

  // Rotation: an unknown kid refetches (after the minimum interval) and then verifies.
  published = { keys: [first.jwk, second.jwk] };
  await assert.rejects(verify(await sign(second)), /not one of the authority's keys/);
  now += 10_001;
  const rotated = await verify(await sign(second));
  assert.equal(rotated.clientId, 'did:key:z6Mkexample');
  const before = fetches;
  const stranger = await key();
  await assert.rejects(verify(await sign(stranger)));
  await assert.rejects(verify(await sign(stranger)));
  assert.ok(fetches <= before + 1, 'unknown kids do not cause a fetch per request');

  // Wrong issuer, expired token: refused with a reason fit for WWW-Authenticate.
  const foreign = await signAccessToken({
    key: first.signing,
    subject: 's',
    scopes: [],
    issuer: 'other',
    audience: 'plexus',
    ttlSeconds: 60,
    now,
  });
  const error = await verify(foreign.token).catch((e: unknown) => e);
  assert.match(refusalReason(error), /claim 'iss'/);
  assert.ok(!refusalReason(error).includes('"'));
  const old = await sign(first);
  now += 3_600_000;
  await assert.rejects(verify(old), /expired/);
});

test('a verified token is remembered by hash until it expires, and only while its key is published and its audience ours', async () => {
  let now = 1_000_000;
  const signer = await key();
  let published: Jwks = { keys: [signer.jwk] };
  const jwks = new JwksCache(() => Promise.resolve(published), {
    ttlMs: 60_000,
    minRefetchMs: 0,
    now: () => now,
  });
  let audience = ['plexus'];
  const verified = new VerifiedTokens();
  const verify = jwksTokenVerifier({
    jwks,
    issuer: 'iss',
    audience: () => audience,
    now: () => now,
    verified,
  });
  const { token } = await signAccessToken({
    key: signer.signing,
    subject: 'did:key:z6Mkcached',
    scopes: ['read'],
    issuer: 'iss',
    audience: 'plexus',
    ttlSeconds: 600,
    now,
  });
  const first = await verify(token);
  const remembered = verified.get(VerifiedTokens.keyOf(token), now);
  assert.equal(remembered?.claims.subject, 'did:key:z6Mkcached');
  assert.deepEqual((await verify(token)).scopes, first.scopes);

  // A token altered by one character is a different key: verified afresh, and refused.
  const flipped = token.at(-2) === 'A' ? 'B' : 'A';
  const altered = token.slice(0, -2) + flipped + token.slice(-1);
  assert.notEqual(altered, token);
  await assert.rejects(verify(altered));

  // No longer one of our audiences: refused although remembered.
  audience = ['elsewhere'];
  await assert.rejects(verify(token), /claim 'aud'/);
  audience = ['plexus'];
  await verify(token);

  // The authority stops publishing the key (after the JWKS cache's own TTL): the remembered token is refused.
  published = { keys: [] };
  now += 60_001;
  await assert.rejects(verify(token), /not one of the authority's keys/);
  published = { keys: [signer.jwk] };
  now += 60_001;
  await verify(token);

  // Past its exp the entry is gone and the token refused as expired.
  now += 600_000;
  await assert.rejects(verify(token), /expired/);
  assert.equal(verified.get(VerifiedTokens.keyOf(token), now), undefined);
});
