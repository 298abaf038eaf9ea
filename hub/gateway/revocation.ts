import type { Logger } from '../../lib/log.ts';

/**
 * Whether an agent DID still stands, as the identity authority says, cached per DID for `ttlMs` so a valid
 * access token costs a map lookup: a DID revoked after its token was issued is refused within `ttlMs`
 * instead of when the token expires. Revocation is final, so a revoked answer is kept for good. When the
 * authority cannot be asked, the last answer stands (a DID never checked passes: its token's signature
 * already did), so an identity outage does not lock every agent out. A revoked answer is the refusal a
 * person reads (who revoked it and why); a standing DID's is null.
 */
export class RevocationCache {
  readonly #lookup: (did: string) => Promise<string | null>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #known = new Map<string, { refusal: string | null; at: number }>();
  readonly #inflight = new Map<string, Promise<string | null>>();

  constructor(
    lookup: (did: string) => Promise<string | null>,
    options: { ttlMs: number; now?: () => number; log?: Logger },
  ) {
    this.#lookup = lookup;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
  }

  /** Why `did` is refused, or null while it stands. */
  async refusal(did: string): Promise<string | null> {
    const known = this.#known.get(did);
    if (known && (known.refusal !== null || this.#now() - known.at < this.#ttlMs)) return known.refusal;
    let pending = this.#inflight.get(did);
    if (!pending) {
      pending = this.#ask(did, known?.refusal ?? null).finally(() => this.#inflight.delete(did));
      this.#inflight.set(did, pending);
    }
    return pending;
  }

  /** Records a revocation this hub made itself: refused from now on, without waiting for the cache to expire. */
  revoked(did: string, refusal: string): void {
    this.#known.set(did, { refusal, at: this.#now() });
  }

  async #ask(did: string, fallback: string | null): Promise<string | null> {
    try {
      const refusal = await this.#lookup(did);
      this.#known.set(did, { refusal, at: this.#now() });
      return refusal;
    } catch (error) {
      this.#log?.warn({ err: error, did }, 'revocation check failed; the last known answer stands');
      return fallback;
    }
  }
}
