import type { X25519KeyPair } from './identity-keys.ts';

/**
 * The primitives the envelope and seal constructions are built from. Two implementations exist: the
 * node:crypto fast path (node-suite.ts) and the portable @noble reference (noble/suite.ts); the tests
 * cross-check them so either end of a conversation may use either.
 */
export interface CryptoSuite {
  name: string;
  ed25519PublicKey: (secretKey: Uint8Array) => Uint8Array;
  ed25519Sign: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array;
  /** False (never throws) for a malformed key or signature. */
  ed25519Verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;
  x25519Generate: () => X25519KeyPair;
  x25519PublicKey: (secretKey: Uint8Array) => Uint8Array;
  /** The raw shared secret; throws for a low-order public key (all-zero result). */
  x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array;
  hkdfSha256: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;
  /** AES-256-GCM with a 16-byte tag, returned separately. */
  aesGcmEncrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): { ct: Uint8Array; tag: Uint8Array };
  /** Throws when the tag does not authenticate. */
  aesGcmDecrypt: (
    key: Uint8Array,
    iv: Uint8Array,
    ct: Uint8Array,
    tag: Uint8Array,
    aad: Uint8Array,
  ) => Uint8Array;
  randomBytes: (length: number) => Uint8Array;
}
