import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientAssertion } from '../../lib/auth/client-assertion.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { PlexusError } from '../../lib/errors.ts';
import { PEER_SCOPES, peerTokenVerifier } from './peer-auth.ts';

const AUDIENCE = 'http://127.0.0.1:4100/mcp';
const peer = generateIdentityKeys();
const T0 = 1_800_000_000_000;
const assertion = (options: { audience?: string; now?: number; jti?: string } = {}) =>
  createClientAssertion({
    did: peer.did,
    secretKey: peer.signing.secretKey,
    audience: options.audience ?? AUDIENCE,
    now: options.now ?? T0,
    ...(options.jti ? { jti: options.jti } : {}),
  });

test('a fresh assertion for this endpoint authenticates the peer DID with the peer scopes', async () => {
  const verify = peerTokenVerifier({ audience: AUDIENCE, now: () => T0 });
  const token = await assertion();
  assert.deepEqual(await verify(token), { token, clientId: peer.did, scopes: PEER_SCOPES });
});

test('an assertion is accepted once, for this audience, while it is valid, from a peer not refused', async () => {
  const verify = peerTokenVerifier({ audience: AUDIENCE, now: () => T0 });
  const once = await assertion({ jti: 'one' });
  await verify(once);
  await assert.rejects(verify(once), { code: 'assertion_replayed' });
  await assert.rejects(verify(await assertion({ audience: 'http://other.example/mcp' })), PlexusError);
  await assert.rejects(verify(await assertion({ now: T0 - 10 * 60_000 })), PlexusError);
  await assert.rejects(verify('not-a-jwt'), PlexusError);
  const other = generateIdentityKeys();
  const forged = await createClientAssertion({
    did: peer.did,
    secretKey: other.signing.secretKey,
    audience: AUDIENCE,
    now: T0,
  });
  await assert.rejects(verify(forged), PlexusError);
  const refusing = peerTokenVerifier({
    audience: AUDIENCE,
    now: () => T0,
    checkPeer: (did) => Promise.reject(new PlexusError('forbidden', 'peer_revoked', `${did} is revoked`)),
  });
  await assert.rejects(refusing(await assertion()), { code: 'peer_revoked' });
});
