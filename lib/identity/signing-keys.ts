import { ToolError } from '../clients/errors.ts';
import type { IdentityClient } from '../clients/identity.ts';
import { didKeyFragment, ed25519FromDid } from '../crypto/multikey.ts';
import { PlexusError } from '../errors.ts';
import { verifyIdentityLog, type LogEntry } from './identity-log.ts';

/** One signing key of a DID, and when the identity server recorded its rotation away (null: signs now). */
export interface SigningKey {
  key: Uint8Array;
  /** The key as multibase text (z6Mk…). */
  multibase: string;
  retiredAt: number | null;
}

/** A DID's signing keys, oldest first (the did:key's own first), and whether it is revoked. */
export interface KeyHistory {
  keys: SigningKey[];
  revoked: boolean;
}

/** What a DID the identity server does not know (or any DID with no identity server around) signs with. */
export function didKeyOnly(did: string): KeyHistory {
  return {
    keys: [{ key: ed25519FromDid(did), multibase: didKeyFragment(did), retiredAt: null }],
    revoked: false,
  };
}

/**
 * The one rule for which key was valid when: nothing of a revoked DID; its current key; a retired key only
 * for what was signed before its rotation was recorded. `signedAt` is when the thing was signed, as far as
 * the checker can tell (a server-recorded time where there is one; the signer's own claim otherwise).
 */
export function keysValidAt(history: KeyHistory, signedAt: number): SigningKey[] {
  if (history.revoked) return [];
  return history.keys.filter(({ retiredAt }) => retiredAt === null || signedAt < retiredAt);
}

/**
 * A DID's key history from its identity log (get_identity_log), re-verified here so the identity server
 * cannot substitute a key: every rotation in it is signed by the key before, back to the did:key's own.
 * A DID the identity server does not know stands on its did:key; a failed lookup is `unavailable` (to be
 * tried again), never a verdict on a signature.
 */
export async function fetchKeyHistory(identity: IdentityClient, did: string): Promise<KeyHistory> {
  let log;
  try {
    log = await identity.getIdentityLog({ did });
  } catch (error) {
    if (error instanceof ToolError && error.code === 'did_not_found') return didKeyOnly(did);
    throw new PlexusError(
      'unavailable',
      'peer_keys_unavailable',
      `the keys of ${did} could not be looked up: ${(error as Error).message}`,
      { hint: 'try again shortly' },
    );
  }
  const entries: LogEntry[] = log.entries.map((entry) => ({
    did,
    seq: entry.seq,
    type: entry.type,
    statement: entry.statement,
    prevHash: entry.prev_hash,
    hash: entry.hash,
    recordedAt: entry.recorded_at,
  }));
  const verification = verifyIdentityLog(did, entries);
  if (!verification.valid)
    throw new PlexusError(
      'unavailable',
      'identity_log_broken',
      `the identity log of ${did} does not verify (entry ${verification.brokenAt}: ${verification.problem})`,
    );
  const { keys } = didKeyOnly(did);
  for (const entry of entries) {
    if (entry.type !== 'rotate') continue;
    const multibase = String(entry.statement['key']);
    (keys.at(-1) as SigningKey).retiredAt = entry.recordedAt;
    keys.push({ key: ed25519FromDid(`did:key:${multibase}`), multibase, retiredAt: null });
  }
  return { keys, revoked: verification.state?.revoked ?? false };
}

/** The identity server to ask, or null while there is none (then every DID stands on its did:key). */
export type IdentitySource = () => IdentityClient | null | Promise<IdentityClient | null>;

const MAX_CACHED = 10_000;

/**
 * Signers' key histories (fetchKeyHistory), cached per DID. `forget` (on identity.rotated and .revoked), a
 * signature that does not verify (once: the signer may have rotated since) and, when set, `maxAgeMs` (for a
 * checker that hears no identity events: a revocation reaches it within that time) fetch a history again.
 */
export class SigningKeys {
  readonly #identity: IdentitySource;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { history: Promise<KeyHistory>; at: number }>();

  constructor(options: { identity: IdentitySource; maxAgeMs?: number; now?: () => number }) {
    this.#identity = options.identity;
    this.#maxAgeMs = options.maxAgeMs ?? Infinity;
    this.#now = options.now ?? Date.now;
  }

  /** Drops what is known of `did`: the next use asks its identity log again. */
  forget(did: string): void {
    this.#cache.delete(did);
  }

  /** Whether `check` passes for a key of `did` valid at `signedAt` (keysValidAt). */
  async signedBy(did: string, signedAt: number, check: (key: Uint8Array) => boolean): Promise<boolean> {
    const passes = (history: KeyHistory): boolean =>
      keysValidAt(history, signedAt).some(({ key }) => check(key));
    return passes(await this.history(did)) || passes(await this.history(did, true));
  }

  /** The key `did` signs with now (refused when revoked); `fresh` asks its identity log again. */
  async current(did: string, fresh = false): Promise<Uint8Array> {
    const history = await this.history(did, fresh);
    if (history.revoked) throw new PlexusError('forbidden', 'peer_revoked', `${did} is revoked`);
    return (history.keys.at(-1) as SigningKey).key;
  }

  /** The key history of `did`, cached; `fresh` asks its identity log again. */
  async history(did: string, fresh = false): Promise<KeyHistory> {
    const hit = fresh ? undefined : this.#cache.get(did);
    if (hit && this.#now() - hit.at < this.#maxAgeMs) return hit.history;
    const identity = await this.#identity();
    if (!identity) return didKeyOnly(did);
    const entry = { history: fetchKeyHistory(identity, did), at: this.#now() };
    this.#cache.delete(did);
    // Map keeps insertion order: the first entry is the least recently fetched.
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(did, entry);
    entry.history.catch(() => {
      if (this.#cache.get(did) === entry) this.#cache.delete(did);
    });
    return entry.history;
  }
}
