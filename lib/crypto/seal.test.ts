import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlexusError } from '../errors.ts';
import { SealedPayload } from '../../schemas/sealed.ts';
import { fromBase64Url, toBase64Url, utf8 } from './bytes.ts';
import { generateIdentityKeys } from './identity-keys.ts';
import { open, openContent, seal, sealContent, type SealHeader } from './seal.ts';
import { uuidv7 } from './uuidv7.ts';

const alice = generateIdentityKeys();
const bob = generateIdentityKeys();
const carol = generateIdentityKeys();
const header: SealHeader = { sender: alice.did, recipient: bob.did, id: uuidv7() };
const message = utf8.encode('the launch code is 0000');

function refused(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PlexusError);
    assert.equal(error.code, 'seal_open_failed');
    assert.equal(error.field, 'enc');
    return true;
  });
}

function flip(text: string, index: number): string {
  const bytes = fromBase64Url(text);
  bytes[index]! ^= 0x80;
  return toBase64Url(bytes);
}

describe('seal / open', () => {
  test('round-trips for the recipient, and the payload matches the schema', () => {
    const sealed = seal(message, bob.keyAgreement.publicKey, header);
    assert.equal(SealedPayload.safeParse(sealed).success, true);
    assert.equal(sealed.alg, 'X25519-HKDF-SHA256-A256GCM');
    assert.deepEqual(open(sealed, bob.keyAgreement, header), message);
  });

  test('accepts the recipient key as multibase, and an empty plaintext', () => {
    const sealed = seal(new Uint8Array(0), bob.keyAgreementMultibase, header);
    assert.deepEqual(open(sealed, bob.keyAgreement, header), new Uint8Array(0));
  });

  test('each seal uses a fresh ephemeral key and IV', () => {
    const a = seal(message, bob.keyAgreement.publicKey, header);
    const b = seal(message, bob.keyAgreement.publicKey, header);
    assert.notEqual(a.epk, b.epk);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.ct, b.ct);
  });

  test('a third key (or the sender) cannot open it', () => {
    const sealed = seal(message, bob.keyAgreement.publicKey, header);
    refused(() => open(sealed, carol.keyAgreement, header));
    refused(() => open(sealed, alice.keyAgreement, header));
    // The right secret with a wrong public half (salt) fails too.
    refused(() =>
      open(
        sealed,
        { secretKey: bob.keyAgreement.secretKey, publicKey: carol.keyAgreement.publicKey },
        header,
      ),
    );
  });

  test('a changed header (sender, recipient or id) is refused', () => {
    const sealed = seal(message, bob.keyAgreement.publicKey, header);
    refused(() => open(sealed, bob.keyAgreement, { ...header, sender: carol.did }));
    refused(() => open(sealed, bob.keyAgreement, { ...header, recipient: carol.did }));
    refused(() => open(sealed, bob.keyAgreement, { ...header, id: uuidv7() }));
  });

  test('any changed byte of epk, iv, ct or tag is refused', () => {
    const sealed = seal(message, bob.keyAgreement.publicKey, header);
    for (const field of ['epk', 'iv', 'ct', 'tag'] as const) {
      const length = fromBase64Url(sealed[field]).length;
      for (let i = 0; i < length; i++) {
        refused(() => open({ ...sealed, [field]: flip(sealed[field], i) }, bob.keyAgreement, header));
      }
    }
  });

  test('truncated, extended, mislabeled or malformed payloads are refused', () => {
    const sealed = seal(message, bob.keyAgreement.publicKey, header);
    const ct = fromBase64Url(sealed.ct);
    refused(() => open({ ...sealed, ct: toBase64Url(ct.subarray(1)) }, bob.keyAgreement, header));
    refused(() => open({ ...sealed, ct: toBase64Url(new Uint8Array([...ct, 0])) }, bob.keyAgreement, header));
    refused(() => open({ ...sealed, alg: 'other' } as unknown as SealedPayload, bob.keyAgreement, header));
    refused(() => open({ ...sealed, tag: sealed.tag.slice(1) }, bob.keyAgreement, header));
    refused(() => open({ ...sealed, epk: toBase64Url(new Uint8Array(32)) }, bob.keyAgreement, header));
  });

  test('refuses to seal under a header it cannot bind unambiguously', () => {
    assert.throws(
      () => seal(message, bob.keyAgreement.publicKey, { ...header, recipient: 'topic:news' }),
      /recipient/,
    );
    assert.throws(
      () => seal(message, bob.keyAgreement.publicKey, { ...header, sender: 'did:key:x|y' }),
      /sender/,
    );
    assert.throws(() => seal(message, bob.keyAgreement.publicKey, { ...header, id: 'not-a-uuid' }), /id/);
    assert.throws(() => seal(message, new Uint8Array(31), header), /32 bytes/);
    assert.throws(() => seal(message, alice.did, header), /X25519/);
  });

  test('sealContent / openContent carry any JSON value', () => {
    for (const value of [{ a: [1, 'two', null, true] }, 'text', 0, null, []]) {
      assert.deepEqual(
        openContent(sealContent(value, bob.keyAgreement.publicKey, header), bob.keyAgreement, header),
        value,
      );
    }
  });

  test('openContent refuses a payload that opens but is not JSON', () => {
    const sealed = seal(utf8.encode('{not json'), bob.keyAgreement.publicKey, header);
    assert.throws(
      () => openContent(sealed, bob.keyAgreement, header),
      (error: unknown) => error instanceof PlexusError && error.code === 'seal_content_invalid',
    );
  });
});
