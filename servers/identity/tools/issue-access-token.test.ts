import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { UnsecuredJWT } from 'jose';
import { verifyAccessToken, type Jwks } from '../../../lib/auth/access-token.ts';
import { createClientAssertion } from '../../../lib/auth/client-assertion.ts';
import { connectInProcess } from '../../../lib/mcp/in-process.ts';
import { buildServer } from '../server.ts';
import { cardFor, failure, newAgent, ok, rotationFor, startIdentity } from '../test-support.ts';

const ENDPOINT = 'https://hub.example/oauth/token';

test('a valid assertion gets a short-lived EdDSA token; every bad assertion is refused', async (t) => {
  const h = await startIdentity(t, { tokenEndpoints: [ENDPOINT], accessTokenTtlSeconds: 900 });
  // The token endpoint is public: the caller has no credentials yet.
  const anonymous = await connectInProcess(buildServer(h.deps));
  t.after(() => anonymous.close());
  const agent = newAgent();
  const now = h.clock.now;
  const assertion = (o: Partial<Parameters<typeof createClientAssertion>[0]> = {}) =>
    createClientAssertion({
      did: agent.did,
      secretKey: agent.signing.secretKey,
      audience: ENDPOINT,
      now,
      ...o,
    });

  const granted = await ok<{ access_token: string; token_type: string; expires_in: number; scope: string }>(
    anonymous,
    'issue_access_token',
    { assertion: await assertion() },
  );
  assert.deepEqual([granted.token_type, granted.expires_in, granted.scope], ['Bearer', 900, 'read write']);
  const jwks = await ok<Jwks>(anonymous, 'get_jwks', {});
  const claims = await verifyAccessToken(granted.access_token, {
    keys: jwks,
    issuer: 'urn:plexus:identity',
    audience: 'plexus',
    now,
  });
  assert.equal(claims.subject, agent.did);
  assert.equal(claims.expiresAt - Math.floor(now / 1000) * 1000, 900_000);

  const narrowed = await ok<{ scope: string }>(anonymous, 'issue_access_token', {
    assertion: await assertion(),
    scope: 'read',
  });
  assert.equal(narrowed.scope, 'read');
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: await assertion(), scope: 'read admin' }),
    'invalid_scope',
  );
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: await assertion(), audience: 'other' }),
    'invalid_target',
  );

  const replay = await assertion();
  await ok(anonymous, 'issue_access_token', { assertion: replay });
  assert.equal(await failure(anonymous, 'issue_access_token', { assertion: replay }), 'assertion_replayed');
  assert.equal(
    await failure(anonymous, 'issue_access_token', {
      assertion: await assertion({ audience: 'https://evil.example/token' }),
    }),
    'assertion_wrong_audience',
  );
  assert.equal(
    await failure(anonymous, 'issue_access_token', {
      assertion: await assertion({ now: now - 10 * 60_000 }),
    }),
    'assertion_expired',
  );
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: await assertion({ lifetimeSeconds: 900 }) }),
    'assertion_lifetime_too_long',
  );
  const intruder = newAgent();
  assert.equal(
    await failure(anonymous, 'issue_access_token', {
      assertion: await assertion({ secretKey: intruder.signing.secretKey }),
    }),
    'assertion_signature_invalid',
  );

  const claimSet = {
    iss: agent.did,
    sub: agent.did,
    aud: ENDPOINT,
    iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000) + 60,
    jti: 'x1',
  };
  const none = new UnsecuredJWT(claimSet).encode();
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: none }),
    'assertion_alg_not_allowed',
  );
  // HS256 keyed with the DID's public key: a verifier that trusted the header would accept it.
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claimSet)}`;
  const hs = `${input}.${createHmac('sha256', agent.signing.publicKey).update(input).digest('base64url')}`;
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: hs }),
    'assertion_alg_not_allowed',
  );
});

test('after a rotation only the new key can get tokens', async (t) => {
  const h = await startIdentity(t);
  const writer = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const next = newAgent();
  const { log_head } = await ok<{ log_head: { seq: number; hash: string } }>(writer, 'register_identity', {
    card: cardFor(agent),
  });
  await ok(writer, 'rotate_keys', {
    statement: rotationFor(agent.did, log_head, agent.signing.secretKey, next),
  });
  const make = (secretKey: Uint8Array) =>
    createClientAssertion({ did: agent.did, secretKey, audience: 'urn:plexus:identity', now: h.clock.now });
  assert.equal(
    await failure(writer, 'issue_access_token', { assertion: await make(agent.signing.secretKey) }),
    'assertion_signature_invalid',
  );
  await ok(writer, 'issue_access_token', { assertion: await make(next.signing.secretKey) });
});
