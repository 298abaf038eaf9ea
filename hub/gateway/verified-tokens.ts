import { hash } from 'node:crypto';
import type { AccessTokenClaims } from '../../lib/auth/access-token.ts';

interface Verified {
  claims: AccessTokenClaims;
  /** The key that signed it: the token stands only while the authority still publishes that key. */
  kid: string | undefined;
}

/**
 * Access tokens whose signature and claims already verified, keyed by the SHA-256 of the token (the cache
 * holds no bearer secret) until their `exp`: a client sending the same token again costs a hash and a map
 * lookup instead of an Ed25519 verification. Bounded: past `maxEntries` the oldest entry goes.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Verified>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  /** The verified claims under `key`, unless the token has expired by `now` (then it is dropped). */
  get(key: string, now: number): Verified | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.claims.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, claims: AccessTokenClaims, kid: string | undefined): void {
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { claims, kid });
  }
}
