import type { Logger } from '../../lib/log.ts';

/**
 * Whether an agent DID still stands, as the identity authority says, cached per DID for `ttlMs` so a valid
 * access token costs a map lookup: a DID revoked after its token was issued is refused within `ttlMs`
 * instead of when the token expires. Revocation is final, so a revoked answer is kept for good. When the
 * authority cannot be asked, the last answer stands (a DID never checked passes: its token's signature
 * already did), so an identity outage does not lock every agent out.
 */
export class RevocationCache {
  readonly #lookup: (did: string) => Promise<boolean>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #known = new Map<string, { revoked: boolean; at: number }>();
  readonly #inflight = new Map<string, Promise<boolean>>();

  constructor(
    lookup: (did: string) => Promise<boolean>,
    options: { ttlMs: number; now?: () => number; log?: Logger },
  ) {
    this.#lookup = lookup;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
  }

  async isRevoked(did: string): Promise<boolean> {
    const known = this.#known.get(did);
    if (known && (known.revoked || this.#now() - known.at < this.#ttlMs)) return known.revoked;
    let pending = this.#inflight.get(did);
    if (!pending) {
      pending = this.#ask(did, known?.revoked ?? false).finally(() => this.#inflight.delete(did));
      this.#inflight.set(did, pending);
    }
    return pending;
  }

  async #ask(did: string, fallback: boolean): Promise<boolean> {
    try {
      const revoked = await this.#lookup(did);
      this.#known.set(did, { revoked, at: this.#now() });
      return revoked;
    } catch (error) {
      this.#log?.warn({ err: error, did }, 'revocation check failed; the last known answer stands');
      return fallback;
    }
  }
}
