import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientAssertion } from '../../../lib/auth/client-assertion.ts';
import { cardFor, failure, newAgent, ok, startIdentity } from '../test-support.ts';

test('an operator revokes a DID: logged with who and why, published, refused like a self-revocation', async (t) => {
  const h = await startIdentity(t);
  const agent = newAgent();
  const writer = await h.connect(agent.did, ['write']);
  await ok(writer, 'register_identity', { card: cardFor(agent) });

  // The admin scope comes from the caller's token: a writer, even naming an operator, is refused.
  assert.equal(
    await failure(writer, 'revoke_identity_as_operator', { did: agent.did, reason: 'mine' }),
    'insufficient_scope',
  );
  const operator = await h.connect('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', ['admin']);
  assert.equal(await failure(operator, 'revoke_identity_as_operator', { did: agent.did }), 'invalid_params');
  assert.equal(
    await failure(operator, 'revoke_identity_as_operator', { did: newAgent().did, reason: 'x' }),
    'did_not_found',
  );

  const revoked = await ok<{ revoked: boolean; revoked_by: string }>(
    operator,
    'revoke_identity_as_operator',
    {
      did: agent.did,
      reason: 'key leaked',
    },
  );
  assert.deepEqual(revoked, {
    ...revoked,
    revoked: true,
    revoked_by: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  });
  assert.deepEqual(h.events.at(-1), {
    type: 'identity.revoked',
    subject: agent.did,
    data: { seq: 1, revoked_by: revoked.revoked_by, reason: 'key leaked' },
  });

  const resolved = await ok<{ revoked: boolean; revoked_by: string; revocation_reason: string }>(
    writer,
    'resolve_did',
    { did: agent.did },
  );
  assert.deepEqual(
    [resolved.revoked, resolved.revoked_by, resolved.revocation_reason],
    [true, revoked.revoked_by, 'key leaked'],
  );
  const log = await ok<{
    verified: boolean;
    entries: { type: string; statement: Record<string, unknown> }[];
  }>(writer, 'get_identity_log', { did: agent.did });
  assert.equal(log.verified, true);
  assert.deepEqual(log.entries.at(-1)?.statement, {
    type: 'plexus/operator-revocation',
    did: agent.did,
    reason: 'key leaked',
    revokedBy: revoked.revoked_by,
    issuedAt: h.clock.now,
  });

  // No more tokens, and the refusal says who revoked it and why; a second revocation is refused.
  const assertion = await createClientAssertion({
    did: agent.did,
    secretKey: agent.signing.secretKey,
    audience: 'urn:plexus:identity',
    now: h.clock.now,
  });
  const refusal = await writer.callTool({ name: 'issue_access_token', arguments: { assertion } });
  assert.equal(refusal.isError, true);
  assert.match(
    JSON.stringify(refusal.content),
    /was revoked by an operator \(did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK\): key leaked/,
  );
  assert.equal(
    await failure(operator, 'revoke_identity_as_operator', { did: agent.did, reason: 'again' }),
    'identity_revoked',
  );
});
