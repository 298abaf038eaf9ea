import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

// node:crypto X25519 on raw 32-byte keys, wrapped in fixed DER prefixes (RFC 8410). Importing a private
// key costs more than the key agreement itself, so KeyObjects are cached by the key array's identity.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeys = new WeakMap<Uint8Array, KeyObject>();

function check(key: Uint8Array, what: string): void {
  if (key.length !== 32) throw new Error(`X25519 ${what} key must be 32 bytes, got ${key.length}`);
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey);
  if (!key) {
    check(secretKey, 'secret');
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    privateKeys.set(secretKey, key);
  }
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  let key = publicKeys.get(publicKey);
  if (!key) {
    check(publicKey, 'public');
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicKeys.set(publicKey, key);
  }
  return key;
}

/** A fresh X25519 key pair as raw 32-byte keys. */
export function generateX25519KeyPair(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const secretKey = new Uint8Array(
    privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length),
  );
  const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length));
  privateKeys.set(secretKey, privateKey);
  publicKeys.set(pub, publicKey);
  return { secretKey, publicKey: pub };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

/** X25519(secretKey, publicKey); throws for a low-order public key, whose result would be all zeros. */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const privateKey = privateKeyObject(secretKey);
  const peer = publicKeyObject(publicKey);
  let shared: Uint8Array;
  try {
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey: peer }));
  } catch (error) {
    throw new Error('X25519 key agreement failed (low-order public key)', { cause: error });
  }
  if (shared.every((b) => b === 0)) throw new Error('X25519 key agreement failed (low-order public key)');
  return shared;
}
