import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

// node:crypto X25519 on raw 32-byte keys, wrapped in fixed DER prefixes (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function check(key: Uint8Array, what: string): void {
  if (key.length !== 32) throw new Error(`X25519 ${what} key must be 32 bytes, got ${key.length}`);
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  check(secretKey, 'secret');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  check(publicKey, 'public');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

/** X25519(secretKey, publicKey); throws for a low-order public key, whose result would be all zeros. */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = new Uint8Array(
      diffieHellman({ privateKey: privateKeyObject(secretKey), publicKey: publicKeyObject(publicKey) }),
    );
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('X25519')) throw error;
    throw new Error('X25519 key agreement failed (low-order public key)', { cause: error });
  }
  if (shared.every((b) => b === 0)) throw new Error('X25519 key agreement failed (low-order public key)');
  return shared;
}
