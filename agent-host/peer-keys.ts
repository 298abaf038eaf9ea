import { ToolError } from '../lib/clients/errors.ts';
import type { IdentityClient } from '../lib/clients/identity.ts';
import { verifyEnvelope } from '../lib/crypto/envelope.ts';
import { ed25519FromDid } from '../lib/crypto/multikey.ts';
import { PlexusError } from '../lib/errors.ts';
import type { Envelope } from '../schemas/envelope.ts';
import { verifyIdentityLog, type LogEntry } from '../servers/identity/domain/identity-log.ts';

/** One signing key of a DID, and when the identity server recorded its rotation away (null: signs now). */
interface SigningKey {
  key: Uint8Array;
  retiredAt: number | null;
}

/** A DID's signing keys, oldest first (the did:key's own first), and whether it is revoked. */
interface KeyHistory {
  keys: SigningKey[];
  revoked: boolean;
}

const MAX_CACHED = 10_000;

function didKeyOnly(did: string): KeyHistory {
  return { keys: [{ key: ed25519FromDid(did), retiredAt: null }], revoked: false };
}

/**
 * The keys peers sign with, taken from their identity log (get_identity_log) and re-verified here, so the hub
 * cannot substitute a key: every rotation in it is signed by the key before, back to the did:key's own.
 * Cached per DID; `forget` (on identity.rotated and .revoked) and a signature that does not verify fetch it
 * again, once. A DID the identity server does not know, or any DID while no hub is connected, stands on
 * its did:key alone; when the lookup fails, the check fails as `unavailable` (to be tried again), never as a
 * bad signature.
 *
 * A retired key still verifies an envelope it signed before its rotation was recorded, while that envelope
 * has not expired: mail sent just before a rotation and still waiting in an inbox is read. The timestamp is
 * the signer's own claim, so whoever holds a retired key could backdate a message for as long as an envelope
 * lives (its ttl, at most seven days) after the rotation; a key that may be stolen calls for revocation, which
 * refuses every signature of the DID.
 */
export class PeerKeys {
  readonly #identity: () => IdentityClient | null;
  readonly #now: () => number;
  readonly #cache = new Map<string, Promise<KeyHistory>>();

  constructor(options: { identity: () => IdentityClient | null; now?: () => number }) {
    this.#identity = options.identity;
    this.#now = options.now ?? Date.now;
  }

  /** Drops what is known of `did`: the next use asks its identity log again. */
  forget(did: string): void {
    this.#cache.delete(did);
  }

  /** Whether the envelope's signature is its sender's, by the key valid when it was signed. */
  async verify(envelope: Envelope): Promise<boolean> {
    const signedBy = (history: KeyHistory): boolean =>
      !history.revoked &&
      history.keys.some(
        ({ key, retiredAt }) =>
          (retiredAt === null || (envelope.timestamp < retiredAt && envelope.expires > this.#now())) &&
          verifyEnvelope(envelope, key),
      );
    if (signedBy(await this.#history(envelope.sender))) return true;
    // The sender may have rotated since its keys were cached.
    return signedBy(await this.#history(envelope.sender, true));
  }

  /** The key `did` signs with now (refused when revoked); `fresh` asks its identity log again. */
  async current(did: string, fresh = false): Promise<Uint8Array> {
    const history = await this.#history(did, fresh);
    if (history.revoked) throw new PlexusError('forbidden', 'peer_revoked', `${did} is revoked`);
    return (history.keys.at(-1) as SigningKey).key;
  }

  #history(did: string, fresh = false): Promise<KeyHistory> {
    const hit = fresh ? undefined : this.#cache.get(did);
    if (hit) return hit;
    const identity = this.#identity();
    if (!identity) return Promise.resolve(didKeyOnly(did));
    const fetched = fetchHistory(identity, did);
    this.#cache.delete(did);
    // Map keeps insertion order: the first entry is the least recently fetched.
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(did, fetched);
    fetched.catch(() => {
      if (this.#cache.get(did) === fetched) this.#cache.delete(did);
    });
    return fetched;
  }
}

async function fetchHistory(identity: IdentityClient, did: string): Promise<KeyHistory> {
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
  const keys: SigningKey[] = [{ key: ed25519FromDid(did), retiredAt: null }];
  for (const entry of entries) {
    if (entry.type !== 'rotate') continue;
    (keys.at(-1) as SigningKey).retiredAt = entry.recordedAt;
    keys.push({ key: ed25519FromDid(`did:key:${String(entry.statement['key'])}`), retiredAt: null });
  }
  return { keys, revoked: verification.state?.revoked ?? false };
}
