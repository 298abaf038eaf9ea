import { base58Decode, base58Encode } from './base58.ts';

// Multicodec varint prefixes: ed25519-pub 0xed → [0xed, 0x01], x25519-pub 0xec → [0xec, 0x01].
const ED25519_PUB = [0xed, 0x01] as const;
const X25519_PUB = [0xec, 0x01] as const;
const DID_KEY_PREFIX = 'did:key:';

function encodeMultikey(prefix: readonly number[], key: Uint8Array): string {
  if (key.length !== 32) throw new Error(`public key must be 32 bytes, got ${key.length}`);
  const bytes = new Uint8Array(prefix.length + key.length);
  bytes.set(prefix);
  bytes.set(key, prefix.length);
  return 'z' + base58Encode(bytes);
}

function decodeMultikey(prefix: readonly number[], multibase: string, what: string): Uint8Array {
  if (!multibase.startsWith('z')) throw new Error(`${what} must be multibase base58btc (starting with 'z')`);
  const bytes = base58Decode(multibase.slice(1));
  if (bytes.length !== prefix.length + 32 || prefix.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${what} is not a multicodec-prefixed 32-byte key`);
  }
  return bytes.slice(prefix.length);
}

/** Ed25519 public key → `did:key:z6Mk…`. */
export function didFromEd25519(publicKey: Uint8Array): string {
  return DID_KEY_PREFIX + encodeMultikey(ED25519_PUB, publicKey);
}

/** `did:key:z6Mk…` → the 32-byte Ed25519 public key it names. Throws on anything else. */
export function ed25519FromDid(did: string): Uint8Array {
  if (!did.startsWith(DID_KEY_PREFIX)) throw new Error(`not a did:key identifier: ${did.slice(0, 40)}`);
  return decodeMultikey(ED25519_PUB, did.slice(DID_KEY_PREFIX.length), 'did:key');
}

/** The multibase fragment of a did:key (its verification method id is `${did}#${fragment}`). */
export function didKeyFragment(did: string): string {
  return did.slice(DID_KEY_PREFIX.length);
}

/** X25519 public key → multibase `z6LS…`. */
export function x25519ToMultibase(publicKey: Uint8Array): string {
  return encodeMultikey(X25519_PUB, publicKey);
}

export function x25519FromMultibase(multibase: string): Uint8Array {
  return decodeMultikey(X25519_PUB, multibase, 'X25519 key');
}

const didKeys = new Map<string, Uint8Array>();
const DID_KEY_CACHE_SIZE = 4096;

/**
 * ed25519FromDid with a bounded cache: the same DID yields the same array, so the KeyObject cached for
 * it in ed25519.ts is reused and hot senders verify without re-importing their key.
 */
export function ed25519FromDidCached(did: string): Uint8Array {
  let key = didKeys.get(did);
  if (key === undefined) {
    key = ed25519FromDid(did);
    if (didKeys.size >= DID_KEY_CACHE_SIZE) {
      const oldest = didKeys.keys().next().value;
      if (oldest !== undefined) didKeys.delete(oldest);
    }
    didKeys.set(did, key);
  }
  return key;
}
