import { ed25519FromDid } from '../../../lib/crypto/multikey.ts';

/** The keys that may sign for a DID right now, and whether the DID is revoked. */
export interface SenderKeys {
  keys: Uint8Array[];
  revoked: boolean;
}

/** `fresh`: not from a cache (the sender may have rotated or been revoked since). */
export type KeyResolver = (did: string, fresh?: boolean) => Promise<SenderKeys>;

const decoded = new Map<string, SenderKeys>();
const MAX_DECODED = 10_000;

/**
 * A did:key names its own key: the only resolver needed when no identity server is around. The decoded
 * key is kept (bounded), because node:crypto caches its key object per key array: the same array for the
 * same sender makes verification several times cheaper.
 */
export const didKeyResolver: KeyResolver = (did) => {
  let keys = decoded.get(did);
  if (!keys) {
    keys = { keys: [ed25519FromDid(did)], revoked: false };
    if (decoded.size >= MAX_DECODED) decoded.delete(decoded.keys().next().value as string);
    decoded.set(did, keys);
  }
  return Promise.resolve(keys);
};

/**
 * Resolves through `lookup` (the identity server), keeping answers for `ttlMs` so a burst of envelopes
 * from one sender costs one lookup (`fresh` skips and renews the cached answer). `lookup` returns null for
 * a DID the identity server does not know, which then stands on its did:key alone.
 */
export function cachedKeyResolver(options: {
  lookup: (did: string) => Promise<SenderKeys | null>;
  now: () => number;
  ttlMs: number;
  maxEntries?: number;
}): KeyResolver {
  const cache = new Map<string, { value: SenderKeys; at: number }>();
  const max = options.maxEntries ?? 10_000;
  return async (did, fresh = false) => {
    const hit = fresh ? undefined : cache.get(did);
    if (hit && options.now() - hit.at < options.ttlMs) return hit.value;
    const value = (await options.lookup(did)) ?? (await didKeyResolver(did));
    cache.delete(did);
    // Map keeps insertion order: the first key is the least recently resolved.
    if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    cache.set(did, { value, at: options.now() });
    return value;
  };
}
