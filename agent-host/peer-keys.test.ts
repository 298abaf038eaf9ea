import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityClient } from '../lib/clients/identity.ts';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { ed25519FromDid } from '../lib/crypto/multikey.ts';
import { ed25519Multibase } from '../lib/identity/identity-log.ts';
import {
  T0,
  cardFor,
  newAgent,
  revocationFor,
  rotationFor,
  startIdentity,
} from '../servers/identity/test-support.ts';
import { PeerKeys } from './peer-keys.ts';

test('peer keys come from the identity log: the current key after a rotation, a retired one only for what it signed before', async (t) => {
  const h = await startIdentity(t);
  const identity = identityClient(await h.connect('operator:test', ['read', 'write']));
  const alice = newAgent();
  const bob = newAgent();
  await identity.registerIdentity({ card: cardFor(alice) });
  const keys = new PeerKeys({ identity: () => identity, now: () => h.clock.now });
  const chat = (secretKey: Uint8Array, at: number, rotated = false) =>
    createEnvelope(
      { did: alice.did, secretKey, rotated },
      { type: 'chat/message', recipient: bob.did, content: { text: 'hi' }, now: at },
    );
  const old = alice.signing.secretKey;
  const beforeRotation = chat(old, T0 + 1_000);
  assert.equal(await keys.verify(beforeRotation), true, 'the did:key key before any rotation');

  h.clock.now = T0 + 10_000;
  const { log_head: head } = await identity.resolveDid({ did: alice.did });
  const next = newAgent();
  await identity.rotateKeys({ statement: rotationFor(alice.did, head, old, next) });
  h.clock.now = T0 + 20_000;
  // Cached before the rotation: a signature by the new key is checked against the log once more.
  assert.equal(await keys.verify(chat(next.signing.secretKey, T0 + 20_000, true)), true);
  assert.deepEqual(
    await keys.current(alice.did),
    ed25519FromDid(`did:key:${ed25519Multibase(next.signing.publicKey)}`),
  );
  assert.equal(
    await keys.verify(beforeRotation),
    true,
    'signed before the rotation, not expired: still read',
  );
  assert.equal(
    await keys.verify(chat(old, T0 + 20_000)),
    false,
    'the retired key after the rotation: refused',
  );
  h.clock.now = beforeRotation.expires + 1;
  assert.equal(await keys.verify(beforeRotation), false, 'an expired one by a retired key: refused');

  h.clock.now = T0 + 30_000;
  const { log_head: last } = await identity.resolveDid({ did: alice.did });
  await identity.revokeIdentity({ statement: revocationFor(alice.did, last, next.signing.secretKey) });
  keys.forget(alice.did);
  assert.equal(await keys.verify(chat(next.signing.secretKey, T0 + 30_000, true)), false, 'revoked: refused');
  await assert.rejects(keys.current(alice.did), { code: 'peer_revoked' });

  // A DID the identity server does not know, or no hub at all: the did:key speaks for itself.
  const stranger = newAgent();
  const fromStranger = createEnvelope(
    { did: stranger.did, secretKey: stranger.signing.secretKey },
    { type: 'chat/message', recipient: bob.did, content: { text: 'hi' }, now: h.clock.now },
  );
  assert.equal(await keys.verify(fromStranger), true);
  assert.equal(await new PeerKeys({ identity: () => null }).verify(fromStranger), true);

  // A lookup that fails is no verdict on the signature: the check fails as unavailable, to be tried again.
  const gone = await h.connect('operator:test', ['read']);
  await gone.close();
  const unreachable = new PeerKeys({ identity: () => identityClient(gone) });
  await assert.rejects(unreachable.verify(fromStranger), {
    kind: 'unavailable',
    code: 'peer_keys_unavailable',
  });
});
