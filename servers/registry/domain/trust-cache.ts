import type { IdentityDirectory } from './ports.ts';

/**
 * Trust scores change slowly and finding agents may ask for many at once: keep each for `ttlMs`.
 * Null (no identity server) is cached too, so a missing server costs one attempt per TTL, not one per agent.
 */
export class TrustCache {
  readonly #identity: IdentityDirectory;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { score: number | null; expires: number }>();

  constructor(identity: IdentityDirectory, ttlMs: number, now: () => number) {
    this.#identity = identity;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async score(did: string): Promise<number | null> {
    const now = this.#now();
    const hit = this.#entries.get(did);
    if (hit && hit.expires > now) return hit.score;
    const score = await this.#identity.trust(did);
    this.#entries.set(did, { score, expires: now + this.#ttlMs });
    if (this.#entries.size > 10_000) this.#evictExpired(now);
    return score;
  }

  async scores(dids: readonly string[]): Promise<Map<string, number | null>> {
    const values = await Promise.all(dids.map((did) => this.score(did)));
    return new Map(dids.map((did, i) => [did, values[i] ?? null]));
  }

  /** Drops a DID's score, e.g. after reporting an outcome that changes it. */
  forget(did: string): void {
    this.#entries.delete(did);
  }

  #evictExpired(now: number): void {
    for (const [did, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(did);
  }
}
