import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import { createClientAssertion } from '../../../lib/auth/client-assertion.ts';
import {
  cardFor,
  failure,
  newAgent,
  ok,
  revocationFor,
  rotationFor,
  startIdentity,
} from '../test-support.ts';

type Head = { seq: number; hash: string };

test('a revoked DID no longer verifies, cannot get a token and accepts no further statements', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const head0 = (await ok<{ log_head: Head }>(client, 'register_identity', { card: cardFor(agent) }))
    .log_head;
  const intruder = newAgent();
  assert.equal(
    await failure(client, 'revoke_identity', {
      statement: revocationFor(agent.did, head0, intruder.signing.secretKey),
    }),
    'revocation_signature_invalid',
  );
  const payload = { hello: 'world' };
  const { signature } = signObject(payload, agent.signing.secretKey);
  const before = await ok<{ valid: boolean }>(client, 'verify_signature', {
    did: agent.did,
    payload,
    signature,
  });
  assert.equal(before.valid, true);

  const revoked = await ok<{ revoked: boolean; log_head: Head }>(client, 'revoke_identity', {
    statement: revocationFor(agent.did, head0, agent.signing.secretKey),
  });
  assert.equal(revoked.revoked, true);
  assert.equal(h.events.at(-1)?.type, 'identity.revoked');
  const after = await ok<{ valid: boolean; result: string }>(client, 'verify_signature', {
    did: agent.did,
    payload,
    signature,
  });
  assert.deepEqual([after.valid, after.result], [false, 'revoked']);
  assert.equal((await ok<{ revoked: boolean }>(client, 'resolve_did', { did: agent.did })).revoked, true);

  const assertion = await createClientAssertion({
    did: agent.did,
    secretKey: agent.signing.secretKey,
    audience: 'urn:plexus:identity',
    now: h.clock.now,
  });
  assert.equal(await failure(client, 'issue_access_token', { assertion }), 'identity_revoked');
  assert.equal(
    await failure(client, 'register_identity', { card: cardFor(agent, { version: 2 }) }),
    'identity_revoked',
  );
  assert.equal(
    await failure(client, 'rotate_keys', {
      statement: rotationFor(agent.did, revoked.log_head, agent.signing.secretKey, newAgent()),
    }),
    'identity_revoked',
  );
  const log = await ok<{ verified: boolean; entries: unknown[] }>(client, 'get_identity_log', {
    did: agent.did,
  });
  assert.deepEqual([log.verified, log.entries.length], [true, 2]);
});
