import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attestation } from '../test-support-trust.ts';
import { cardFor, failure, newAgent, ok, revocationFor, startIdentity } from '../test-support.ts';

test('attest records signed ratings; self, duplicate, unsigned, forged and revoked ones count for nothing', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const alice = newAgent();
  const bob = newAgent();
  const first = attestation(alice, bob.did, true, { reference: 't1' });
  assert.deepEqual(await ok(client, 'attest', { attestation: first }), {
    recorded: true,
    attester: alice.did,
    subject: bob.did,
  });
  assert.equal(await failure(client, 'attest', { attestation: first }), 'duplicate_attestation');
  assert.equal(
    await failure(client, 'attest', { attestation: attestation(alice, bob.did, false, { reference: 't1' }) }),
    'duplicate_attestation',
  );
  assert.equal(
    await failure(client, 'attest', { attestation: attestation(alice, alice.did, true) }),
    'self_attestation',
  );
  const { signature: _s, ...unsigned } = attestation(alice, bob.did, true);
  assert.equal(await failure(client, 'attest', { attestation: unsigned }), 'attestation_unsigned');
  const forged = attestation(alice, bob.did, true, { secretKey: bob.signing.secretKey });
  assert.equal(await failure(client, 'attest', { attestation: forged }), 'attestation_signature_invalid');
  assert.equal(
    await failure(client, 'attest', { attestation: { ...attestation(alice, bob.did, true), weight: 5 } }),
    'invalid:attestation.weight',
  );

  const { log_head } = await ok<{ log_head: { seq: number; hash: string } }>(client, 'register_identity', {
    card: cardFor(alice),
  });
  await ok(client, 'revoke_identity', {
    statement: revocationFor(alice.did, log_head, alice.signing.secretKey),
  });
  assert.equal(
    await failure(client, 'attest', { attestation: attestation(alice, bob.did, true) }),
    'identity_revoked',
  );
  const evidence = await h.store.evidenceAbout([bob.did]);
  assert.equal(evidence.length, 1);
});
