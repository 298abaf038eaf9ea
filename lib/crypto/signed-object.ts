import { fromBase64Url, toBase64Url } from './bytes.ts';
import { ed25519FromDidCached } from './multikey.ts';
import { ed25519Sign, ed25519Verify } from './ed25519.ts';
import { signingBytes } from './jcs.ts';

/**
 * Signs a JSON object: Ed25519 over the JCS form of every field but `signature`, which is set to the
 * base64url signature. Agent Cards, tool manifests, envelopes, statements and attestations all use it.
 */
export function signObject<T extends Record<string, unknown>>(
  value: Omit<T, 'signature'>,
  secretKey: Uint8Array,
): T & { signature: string } {
  const signature = toBase64Url(ed25519Sign(signingBytes(value), secretKey));
  return { ...value, signature } as T & { signature: string };
}

/** True when `value.signature` is a valid signature of the rest of `value` by `publicKey`. */
export function verifyObject(value: Record<string, unknown>, publicKey: Uint8Array): boolean {
  const signature = value['signature'];
  if (typeof signature !== 'string') return false;
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(signature);
  } catch {
    return false;
  }
  return ed25519Verify(signingBytes(value), sig, publicKey);
}

/** Verifies against the key a did:key names; false for any other DID method or a malformed DID. */
export function verifyObjectByDid(value: Record<string, unknown>, did: string): boolean {
  let publicKey: Uint8Array;
  try {
    publicKey = ed25519FromDidCached(did);
  } catch {
    return false;
  }
  return verifyObject(value, publicKey);
}
