import * as ed from '@noble/ed25519';
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { CryptoSuite } from '../suite.ts';

// @noble/ed25519 v3 needs a synchronous SHA-512 for its sync API.
ed.hashes.sha512 = sha512;

/** The portable reference: pure-JS @noble primitives (browsers, other runtimes, cross-checks). */
export const nobleSuite: CryptoSuite = {
  name: '@noble',
  ed25519PublicKey: (secretKey) => ed.getPublicKey(secretKey),
  ed25519Sign: (message, secretKey) => ed.sign(message, secretKey),
  ed25519Verify(message, signature, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      // zip215: false = RFC 8032 / OpenSSL acceptance rules, so both suites agree on edge cases.
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  x25519Generate() {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  },
  x25519PublicKey: (secretKey) => x25519.getPublicKey(secretKey),
  x25519(secretKey, publicKey) {
    // getSharedSecret throws on an all-zero result (low-order public key).
    return x25519.getSharedSecret(secretKey, publicKey);
  },
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  aesGcmEncrypt(key, iv, plaintext, aad) {
    const sealed = gcm(key, iv, aad).encrypt(plaintext);
    return { ct: sealed.subarray(0, sealed.length - 16), tag: sealed.subarray(sealed.length - 16) };
  },
  aesGcmDecrypt(key, iv, ct, tag, aad) {
    if (tag.length !== 16) throw new Error('GCM tag must be 16 bytes');
    const joined = new Uint8Array(ct.length + tag.length);
    joined.set(ct);
    joined.set(tag, ct.length);
    return gcm(key, iv, aad).decrypt(joined);
  },
  randomBytes: (length) => randomBytes(length),
};
