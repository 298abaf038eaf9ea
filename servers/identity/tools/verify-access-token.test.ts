import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientAssertion } from '../../../lib/auth/client-assertion.ts';
import { cardFor, newAgent, ok, revocationFor, startIdentity } from '../test-support.ts';

test('introspection: active until expiry or revocation of the subject DID', async (t) => {
  const h = await startIdentity(t, { accessTokenTtlSeconds: 300 });
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const { log_head } = await ok<{ log_head: { seq: number; hash: string } }>(client, 'register_identity', {
    card: cardFor(agent),
  });
  const assertion = await createClientAssertion({
    did: agent.did,
    secretKey: agent.signing.secretKey,
    audience: 'urn:plexus:identity',
    now: h.clock.now,
  });
  const { access_token } = await ok<{ access_token: string }>(client, 'issue_access_token', { assertion });
  const check = () =>
    ok<{ active: boolean; subject?: string; scopes?: string[]; reason?: string }>(
      client,
      'verify_access_token',
      { token: access_token },
    );
  const active = await check();
  assert.deepEqual([active.active, active.subject, active.scopes], [true, agent.did, ['read', 'write']]);
  await ok(client, 'revoke_identity', {
    statement: revocationFor(agent.did, log_head, agent.signing.secretKey),
  });
  assert.deepEqual(await check(), { active: false, reason: 'identity_revoked' });
  h.clock.now += 301_000;
  assert.deepEqual(await check(), { active: false, reason: 'token_expired' });
  assert.deepEqual(await ok(client, 'verify_access_token', { token: 'x.y.z' }), {
    active: false,
    reason: 'token_malformed',
  });
});
