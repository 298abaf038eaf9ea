import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { UnsecuredJWT } from 'jose';
import { generateIdentityKeys } from '../crypto/identity-keys.ts';
import { generateEd25519 } from '../crypto/ed25519.ts';
import { PlexusError } from '../errors.ts';
import { ed25519Jwk, signAccessToken, verifyAccessToken } from './access-token.ts';
import { createClientAssertion, verifyClientAssertion, type AssertionChecks } from './client-assertion.ts';

const NOW = 1_800_000_000_000;

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PlexusError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

/** A compact JWS signed HS256 with the given secret: the classic public-key-as-HMAC-secret confusion. */
function hs256(header: object, payload: object, secret: Uint8Array): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function authority() {
  const keys = generateEd25519();
  const jwk = await ed25519Jwk(keys.publicKey);
  return { key: { kid: jwk.kid, secretKey: keys.secretKey }, jwk, publicKey: keys.publicKey };
}

const common = { issuer: 'urn:plexus:identity', audience: 'plexus' };

test('access token round trip carries subject, scopes, expiry and jti', async () => {
  const a = await authority();
  const { token, expiresAt, jti } = await signAccessToken({
    key: a.key,
    subject: 'did:key:z6Mkx',
    scopes: ['read', 'write'],
    ...common,
    ttlSeconds: 600,
    now: NOW,
  });
  const claims = await verifyAccessToken(token, { keys: { keys: [a.jwk] }, ...common, now: NOW + 1000 });
  assert.deepEqual(claims, {
    subject: 'did:key:z6Mkx',
    scopes: ['read', 'write'],
    expiresAt,
    jti,
    audience: ['plexus'],
  });
  assert.equal(expiresAt, Math.floor(NOW / 1000) * 1000 + 600_000);
});

test('an access token bound to a resource names it, its client and its grant', async () => {
  const a = await authority();
  const resource = 'https://hub.example/mcp';
  const { token } = await signAccessToken({
    key: a.key,
    subject: 'did:key:z6Mkx',
    scopes: ['read'],
    issuer: common.issuer,
    audience: resource,
    ttlSeconds: 600,
    now: NOW,
    extra: { clientId: 'https://app.example/client.json', grantId: 'g1' },
  });
  const claims = await verifyAccessToken(token, {
    keys: { keys: [a.jwk] },
    issuer: common.issuer,
    audience: [common.audience, resource],
    now: NOW,
  });
  assert.deepEqual(
    [claims.audience, claims.clientId, claims.grantId],
    [[resource], 'https://app.example/client.json', 'g1'],
  );
  await refusedWith(
    verifyAccessToken(token, { keys: { keys: [a.jwk] }, ...common, now: NOW }),
    'token_wrong_audience',
  );
});

test('access token verification refuses expiry, wrong issuer/audience, unknown keys, none and HS256', async () => {
  const a = await authority();
  const other = await authority();
  const { token } = await signAccessToken({
    key: a.key,
    subject: 'operator:ann',
    scopes: ['admin'],
    ...common,
    ttlSeconds: 60,
    now: NOW,
  });
  const keys = { keys: [a.jwk] };
  await refusedWith(verifyAccessToken(token, { keys, ...common, now: NOW + 61_000 }), 'token_expired');
  await refusedWith(
    verifyAccessToken(token, { keys, ...common, issuer: 'x', now: NOW }),
    'token_wrong_issuer',
  );
  await refusedWith(
    verifyAccessToken(token, { keys, ...common, audience: 'y', now: NOW }),
    'token_wrong_audience',
  );
  await refusedWith(
    verifyAccessToken(token, { keys: { keys: [other.jwk] }, ...common, now: NOW }),
    'token_unknown_key',
  );
  // Same kid, different key: the signature check must fail.
  const forged = await signAccessToken({
    key: { kid: a.jwk.kid, secretKey: other.key.secretKey },
    subject: 'operator:eve',
    scopes: ['admin'],
    ...common,
    ttlSeconds: 60,
    now: NOW,
  });
  await refusedWith(
    verifyAccessToken(forged.token, { keys, ...common, now: NOW }),
    'token_signature_invalid',
  );
  const claims = {
    sub: 'operator:eve',
    scope: 'admin',
    iss: common.issuer,
    aud: common.audience,
    iat: NOW / 1000,
    exp: NOW / 1000 + 60,
    jti: 'x',
  };
  const none = new UnsecuredJWT(claims).encode();
  await refusedWith(verifyAccessToken(none, { keys, ...common, now: NOW }), 'token_alg_not_allowed');
  const confused = hs256({ alg: 'HS256', typ: 'at+jwt', kid: a.jwk.kid }, claims, a.publicKey);
  await refusedWith(verifyAccessToken(confused, { keys, ...common, now: NOW }), 'token_alg_not_allowed');
  await refusedWith(verifyAccessToken('garbage', { keys, ...common, now: NOW }), 'token_malformed');
});

function checksFor(keys: Map<string, Uint8Array>, seen = new Set<string>()): AssertionChecks {
  return {
    audience: 'https://hub.example/oauth/token',
    now: NOW,
    keyFor: async (did) => {
      const key = keys.get(did);
      if (!key) throw new PlexusError('forbidden', 'identity_revoked', 'revoked');
      return key;
    },
    useJti: async (did, jti) => {
      const k = `${did} ${jti}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    },
  };
}

test('client assertions: valid once; replay, audience, expiry, lifetime, wrong key, none, HS256 refused', async () => {
  const agent = generateIdentityKeys();
  const intruder = generateIdentityKeys();
  const keys = new Map([[agent.did, agent.signing.publicKey]]);
  const checks = checksFor(keys);
  const aud = 'https://hub.example/oauth/token';
  const ok = await createClientAssertion({
    did: agent.did,
    secretKey: agent.signing.secretKey,
    audience: aud,
    now: NOW,
  });
  const result = await verifyClientAssertion(ok, checks);
  assert.equal(result.did, agent.did);
  await refusedWith(verifyClientAssertion(ok, checks), 'assertion_replayed');

  const make = (o: Partial<Parameters<typeof createClientAssertion>[0]>) =>
    createClientAssertion({
      did: agent.did,
      secretKey: agent.signing.secretKey,
      audience: aud,
      now: NOW,
      ...o,
    });
  await refusedWith(
    verifyClientAssertion(await make({ audience: 'https://evil' }), checks),
    'assertion_wrong_audience',
  );
  await refusedWith(verifyClientAssertion(await make({ now: NOW - 600_000 }), checks), 'assertion_expired');
  await refusedWith(
    verifyClientAssertion(await make({ lifetimeSeconds: 3600 }), checks),
    'assertion_lifetime_too_long',
  );
  await refusedWith(
    verifyClientAssertion(await make({ secretKey: intruder.signing.secretKey }), checks),
    'assertion_signature_invalid',
  );
  await refusedWith(
    verifyClientAssertion(await make({}), {
      ...checks,
      keyFor: async () => {
        throw new PlexusError('forbidden', 'identity_revoked', 'revoked');
      },
    }),
    'identity_revoked',
  );
  const claims = { iss: agent.did, sub: agent.did, aud, iat: NOW / 1000, exp: NOW / 1000 + 60, jti: 'j' };
  await refusedWith(
    verifyClientAssertion(new UnsecuredJWT(claims).encode(), checks),
    'assertion_alg_not_allowed',
  );
  const confused = hs256({ alg: 'HS256', typ: 'JWT' }, claims, agent.signing.publicKey);
  await refusedWith(verifyClientAssertion(confused, checks), 'assertion_alg_not_allowed');
  const garbled = `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.bm90IGpzb24.c2ln`;
  await refusedWith(verifyClientAssertion(garbled, checks), 'assertion_malformed');
  await refusedWith(verifyClientAssertion('a.b', checks), 'assertion_malformed');
  const notDid = await createClientAssertion({
    did: 'alice',
    secretKey: agent.signing.secretKey,
    audience: aud,
    now: NOW,
  });
  await refusedWith(verifyClientAssertion(notDid, checks), 'assertion_wrong_issuer');
});

test('a token issued ahead of this clock is refused beyond the allowed skew', async () => {
  const a = await authority();
  const keys = { keys: [a.jwk] };
  const sign = (aheadMs: number) =>
    signAccessToken({
      key: a.key,
      subject: 'operator:ann',
      scopes: ['read'],
      ...common,
      ttlSeconds: 7200,
      now: NOW + aheadMs,
    });
  const hourAhead = await sign(3_600_000);
  await refusedWith(verifyAccessToken(hourAhead.token, { keys, ...common, now: NOW }), 'token_from_future');
  const slightlyAhead = await sign(10_000);
  const claims = await verifyAccessToken(slightlyAhead.token, { keys, ...common, now: NOW });
  assert.equal(claims.subject, 'operator:ann');
  await refusedWith(
    verifyAccessToken(slightlyAhead.token, { keys, ...common, now: NOW, clockSkewSeconds: 5 }),
    'token_from_future',
  );
});
