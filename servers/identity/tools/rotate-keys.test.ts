import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64Url, utf8 } from '../../../lib/crypto/bytes.ts';
import { ed25519Sign } from '../../../lib/crypto/ed25519.ts';
import { ed25519Multibase } from '../../../lib/identity/identity-log.ts';
import { cardFor, failure, newAgent, ok, rotationFor, startIdentity } from '../test-support.ts';

type Head = { seq: number; hash: string };

test('rotation moves the DID to the new key; signatures verify against the current key only', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const next = newAgent();
  const { log_head } = await ok<{ log_head: Head }>(client, 'register_identity', { card: cardFor(agent) });
  const rotated = await ok<{
    key: string;
    log_head: Head;
    document: { verificationMethod: { publicKeyMultibase: string }[]; keyAgreement: string[] };
  }>(client, 'rotate_keys', { statement: rotationFor(agent.did, log_head, agent.signing.secretKey, next) });
  const nextKey = ed25519Multibase(next.signing.publicKey);
  assert.equal(rotated.key, nextKey);
  assert.deepEqual(rotated.log_head.seq, 1);
  assert.equal(rotated.document.verificationMethod[0]?.publicKeyMultibase, nextKey);
  assert.deepEqual(rotated.document.keyAgreement, [`${agent.did}#${next.keyAgreementMultibase}`]);
  const resolved = await ok<{ key: string }>(client, 'resolve_did', { did: agent.did });
  assert.equal(resolved.key, nextKey);

  const message = 'hello';
  const byNew = toBase64Url(ed25519Sign(utf8.encode(message), next.signing.secretKey));
  const byOld = toBase64Url(ed25519Sign(utf8.encode(message), agent.signing.secretKey));
  const verify = (signature: string) =>
    ok<{ valid: boolean; result: string; key: string }>(client, 'verify_signature', {
      did: agent.did,
      payload: message,
      encoding: 'utf8',
      signature,
    });
  assert.deepEqual(await verify(byNew), {
    valid: true,
    did: agent.did,
    result: 'valid',
    key: nextKey,
    key_id: `${agent.did}#${nextKey}`,
  });
  assert.equal((await verify(byOld)).result, 'signature_mismatch');
  assert.deepEqual(
    h.events.map((e) => e.type),
    ['identity.registered', 'identity.rotated'],
  );

  // Card updates must now be signed by the new key.
  assert.equal(
    await failure(client, 'register_identity', { card: cardFor(agent, { version: 2 }) }),
    'card_signature_invalid',
  );
  await ok(client, 'register_identity', { card: cardFor(agent, { version: 2 }, next.signing.secretKey) });
});

test('rotations signed by a stale key, replayed, or breaking the pre-rotation commitment are refused', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const k1 = newAgent();
  const k2 = newAgent();
  const k3 = newAgent();
  const head0 = (await ok<{ log_head: Head }>(client, 'register_identity', { card: cardFor(agent) }))
    .log_head;
  const first = rotationFor(agent.did, head0, agent.signing.secretKey, k1, { commitTo: k2 });
  const head1 = (
    await ok<{ log_head: Head; next_key_committed: boolean }>(client, 'rotate_keys', { statement: first })
  ).log_head;
  assert.equal(await failure(client, 'rotate_keys', { statement: first }), 'statement_stale');
  // The old key can no longer rotate.
  assert.equal(
    await failure(client, 'rotate_keys', {
      statement: rotationFor(agent.did, head1, agent.signing.secretKey, k2),
    }),
    'rotation_signature_invalid',
  );
  // The commitment names k2: rotating to k3 is refused even when signed by the current key.
  assert.equal(
    await failure(client, 'rotate_keys', {
      statement: rotationFor(agent.did, head1, k1.signing.secretKey, k3),
    }),
    'commitment_mismatch',
  );
  const head2 = (
    await ok<{ log_head: Head }>(client, 'rotate_keys', {
      statement: rotationFor(agent.did, head1, k1.signing.secretKey, k2),
    })
  ).log_head;
  assert.equal(head2.seq, 2);
  const log = await ok<{ verified: boolean; entries: unknown[] }>(client, 'get_identity_log', {
    did: agent.did,
  });
  assert.equal(log.verified, true);
  assert.equal(log.entries.length, 3);
  const unregistered = newAgent();
  assert.equal(
    await failure(client, 'rotate_keys', {
      statement: rotationFor(unregistered.did, head0, unregistered.signing.secretKey, k3),
    }),
    'did_not_found',
  );
});
