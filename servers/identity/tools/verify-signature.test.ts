import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64Url } from '../../../lib/crypto/bytes.ts';
import { ed25519Sign } from '../../../lib/crypto/ed25519.ts';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import { failure, newAgent, ok, startIdentity } from '../test-support.ts';

test('verify_signature: JCS objects, UTF-8 and raw bytes, against an unregistered did:key too', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('did:key:z6MkviewerViewerViewerViewerViewerViewerViewerVi', ['read']);
  const agent = newAgent();
  const payload = { b: 2, a: [1, 'x'] };
  const { signature } = signObject(payload, agent.signing.secretKey);
  const call = (args: Record<string, unknown>) =>
    ok<{ valid: boolean; result: string }>(client, 'verify_signature', { did: agent.did, ...args });
  assert.equal((await call({ payload: { a: [1, 'x'], b: 2 }, signature })).valid, true);
  assert.equal((await call({ payload: { a: [1, 'x'], b: 3 }, signature })).result, 'signature_mismatch');
  const raw = new Uint8Array([0, 1, 2, 255]);
  const rawSig = toBase64Url(ed25519Sign(raw, agent.signing.secretKey));
  assert.equal(
    (await call({ payload: toBase64Url(raw), encoding: 'base64url', signature: rawSig })).valid,
    true,
  );
  assert.equal((await call({ payload, signature: 'not*base64' })).result, 'malformed');
  assert.equal(
    await failure(client, 'verify_signature', { did: agent.did, payload: 'text', signature }),
    'invalid:payload',
  );
  assert.equal(
    await failure(client, 'verify_signature', { did: 'did:web:example.com', payload, signature }),
    'invalid_params',
  );
});
