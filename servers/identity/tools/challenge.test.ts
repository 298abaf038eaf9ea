import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import { newAgent, ok, startIdentity } from '../test-support.ts';

// issue_challenge and verify_challenge are two halves of one flow, tested together.
test('challenge nonces prove possession once, before expiry, for the named DID', async (t) => {
  const h = await startIdentity(t, { challengeTtlSeconds: 60 });
  const peer = await h.connect('did:key:z6MkpeerPeerPeerPeerPeerPeerPeerPeerPeerPeerPeerP', ['write']);
  const agent = newAgent();
  const other = newAgent();
  const answer = (nonce: string, keys = agent, did = agent.did) =>
    signObject({ type: 'plexus/challenge-response', did, nonce }, keys.signing.secretKey);
  const verify = (response: Record<string, unknown>) =>
    ok<{ valid: boolean; result: string; key_id?: string }>(peer, 'verify_challenge', { response });

  const c = await ok<{ nonce: string; expires_at: number; did: string }>(peer, 'issue_challenge', {
    did: agent.did,
  });
  assert.equal(c.expires_at, h.clock.now + 60_000);
  assert.equal((await verify(answer(c.nonce, other, agent.did))).result, 'signature_mismatch');
  assert.equal((await verify(answer(c.nonce, other, other.did))).result, 'did_mismatch');
  const first = await verify(answer(c.nonce));
  assert.deepEqual([first.valid, first.key_id], [true, `${agent.did}#${agent.did.slice(8)}`]);
  assert.equal((await verify(answer(c.nonce))).result, 'unknown_nonce');

  const open = await ok<{ nonce: string; did: null }>(peer, 'issue_challenge', {});
  assert.equal(open.did, null);
  h.clock.now += 61_000;
  assert.equal((await verify(answer(open.nonce))).result, 'expired');
  assert.equal((await verify(answer(open.nonce))).result, 'unknown_nonce');
  assert.equal((await verify(answer('A'.repeat(43)))).result, 'unknown_nonce');
});
