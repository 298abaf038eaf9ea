// The node:crypto fast path and the @noble reference must interoperate in both directions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlexusError } from '../errors.ts';
import { utf8 } from './bytes.ts';
import * as fast from './envelope.ts';
import { generateIdentityKeys } from './identity-keys.ts';
import * as noble from './noble/index.ts';
import { nodeSuite } from './node-suite.ts';
import * as fastSeal from './seal.ts';
import { signObject, verifyObject } from './signed-object.ts';
import { uuidv7 } from './uuidv7.ts';
import { signingBytes } from './jcs.ts';

const alice = generateIdentityKeys();
const bob = generateIdentityKeys();
const carol = generateIdentityKeys();
const signer = { did: alice.did, secretKey: alice.signing.secretKey };

const implementations = [
  { name: 'node:crypto', api: fast, seal: fastSeal },
  { name: '@noble', api: noble, seal: noble },
];

for (const from of implementations) {
  for (const to of implementations) {
    if (from === to) continue;
    describe(`${from.name} → ${to.name}`, () => {
      test('Ed25519 signatures verify across implementations', () => {
        const message = utf8.encode('cross-check');
        const sig = (from.name === 'node:crypto' ? nodeSuite : noble.nobleSuite).ed25519Sign(
          message,
          alice.signing.secretKey,
        );
        const verify = to.name === 'node:crypto' ? nodeSuite.ed25519Verify : noble.ed25519Verify;
        assert.equal(verify(message, sig, alice.signing.publicKey), true);
        assert.equal(verify(utf8.encode('cross-checK'), sig, alice.signing.publicKey), false);
      });

      test('a signed envelope verifies; a tampered one does not', () => {
        const env = from.api.createEnvelope(signer, {
          type: 'chat/message',
          recipient: bob.did,
          content: { text: 'hi', values: [1e21, -0, 0.1, 'ü'] },
          thread: 't',
        });
        assert.equal(to.api.verifyEnvelope(env), true);
        assert.deepEqual(
          to.api.checkEnvelope(JSON.parse(JSON.stringify(env))),
          JSON.parse(JSON.stringify(env)),
        );
        assert.equal(to.api.verifyEnvelope({ ...env, thread: 'u' }), false);
      });

      test('a sealed envelope opens for the recipient only', () => {
        const env = from.api.createEnvelope(signer, {
          type: 'chat/message',
          recipient: bob.did,
          content: { secret: 42 },
          sealTo: bob.keyAgreement.publicKey,
        });
        assert.equal(to.api.verifyEnvelope(env), true);
        assert.deepEqual(to.api.openEnvelope(env, bob.keyAgreement), { secret: 42 });
        assert.throws(
          () => to.api.openEnvelope(env, carol.keyAgreement),
          (e: unknown) => e instanceof PlexusError && e.code === 'seal_open_failed',
        );
      });

      test('raw seal / open interoperate and refuse a changed header', () => {
        const header = { sender: alice.did, recipient: bob.did, id: uuidv7() };
        const sealed = from.seal.seal(utf8.encode('payload'), bob.keyAgreementMultibase, header);
        assert.equal(Buffer.from(to.seal.open(sealed, bob.keyAgreement, header)).toString(), 'payload');
        assert.throws(() => to.seal.open(sealed, bob.keyAgreement, { ...header, id: uuidv7() }));
      });
    });
  }
}

test('signed objects (cards, manifests) made on node:crypto verify on @noble', () => {
  const card = signObject({ did: alice.did, name: 'alice', version: 1 }, alice.signing.secretKey);
  assert.equal(verifyObject(card, alice.signing.publicKey), true);
  const signature = new Uint8Array(Buffer.from(card.signature, 'base64url'));
  assert.equal(noble.ed25519Verify(signingBytes(card), signature, alice.signing.publicKey), true);
});

test('both suites derive the same public keys', () => {
  assert.deepEqual(noble.ed25519PublicKey(alice.signing.secretKey), alice.signing.publicKey);
  assert.deepEqual(noble.x25519PublicKey(bob.keyAgreement.secretKey), bob.keyAgreement.publicKey);
  const nobleKeys = noble.generateX25519();
  assert.deepEqual(nodeSuite.x25519PublicKey(nobleKeys.secretKey), nobleKeys.publicKey);
  assert.deepEqual(
    noble.x25519SharedSecret(nobleKeys.secretKey, bob.keyAgreement.publicKey),
    nodeSuite.x25519(bob.keyAgreement.secretKey, nobleKeys.publicKey),
  );
});

test('both suites derive the same HKDF and AES-GCM outputs', () => {
  const key = nodeSuite.randomBytes(32);
  const iv = nodeSuite.randomBytes(12);
  const aad = utf8.encode('aad');
  const a = nodeSuite.aesGcmEncrypt(key, iv, utf8.encode('text'), aad);
  const b = noble.nobleSuite.aesGcmEncrypt(key, iv, utf8.encode('text'), aad);
  assert.deepEqual(a, b);
  assert.deepEqual(nodeSuite.hkdfSha256(key, iv, aad, 42), noble.nobleSuite.hkdfSha256(key, iv, aad, 42));
});
