import type { Logger } from '../../lib/log.ts';
import type { OAuthStore } from './store.ts';

/**
 * Whether an access token was revoked (RFC 7009, or through its grant: a client removed on the
 * approved-clients page, a reused refresh token, a removed user), cached per token for `ttlMs` so a valid
 * token costs a map lookup. Revocations made by this replica clear the cache at once; other replicas see
 * them within `ttlMs`. When the store cannot be asked, the last answer stands (a token never checked passes:
 * its signature already did).
 */
export class TokenStanding {
  readonly #store: OAuthStore;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #known = new Map<string, { revoked: boolean; at: number }>();

  constructor(store: OAuthStore, options: { ttlMs: number; log: Logger; now?: () => number }) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  async isRevoked(jti: string, grantId: string | null): Promise<boolean> {
    const known = this.#known.get(jti);
    if (known && (known.revoked || this.#now() - known.at < this.#ttlMs)) return known.revoked;
    try {
      const revoked = await this.#store.tokenRevoked(jti, grantId);
      if (this.#known.size > 100_000) this.#known = new Map();
      this.#known.set(jti, { revoked, at: this.#now() });
      return revoked;
    } catch (error) {
      this.#log.warn({ err: error }, 'token revocation check failed; the last known answer stands');
      return known?.revoked ?? false;
    }
  }

  /** Forgets every cached answer: something was revoked here. */
  forget(): void {
    this.#known.clear();
  }
}
