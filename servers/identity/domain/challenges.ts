import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../../lib/crypto/bytes.ts';
import { signingBytes } from '../../../lib/crypto/jcs.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import { ChallengeResponse } from '../../../schemas/identity/statements.ts';
import type { IdentityService } from './identities.ts';
import type { Challenge, IdentityStore } from './store.ts';

export type ChallengeResult =
  'valid' | 'unknown_nonce' | 'expired' | 'did_mismatch' | 'signature_mismatch' | 'revoked';

/**
 * Proof of possession for peers: a random nonce with an expiry, answered by a signed challenge response.
 * A nonce is consumed by the first valid answer, so a captured answer can never be replayed.
 */
export class Challenges {
  readonly #store: IdentityStore;
  readonly #identities: IdentityService;
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(deps: {
    store: IdentityStore;
    identities: IdentityService;
    now: () => number;
    ttlSeconds: number;
  }) {
    this.#store = deps.store;
    this.#identities = deps.identities;
    this.#now = deps.now;
    this.#ttlMs = deps.ttlSeconds * 1000;
  }

  async issue(did: string | null): Promise<Challenge> {
    const now = this.#now();
    await this.#store.purgeExpired(now);
    const challenge = { nonce: toBase64Url(randomBytes(32)), did, expiresAt: now + this.#ttlMs };
    await this.#store.saveChallenge(challenge);
    return challenge;
  }

  async verify(
    input: Record<string, unknown>,
  ): Promise<{ result: ChallengeResult; did: string; keyId?: string }> {
    const response = parseOrThrow(ChallengeResponse, input, 'response');
    const { did } = response;
    const challenge = await this.#store.getChallenge(response.nonce);
    if (!challenge) return { result: 'unknown_nonce', did };
    if (challenge.expiresAt <= this.#now()) {
      await this.#store.consumeChallenge(response.nonce);
      return { result: 'expired', did };
    }
    if (challenge.did !== null && challenge.did !== did) return { result: 'did_mismatch', did };
    const verified = await this.#identities.verify(did, signingBytes(response), response.signature);
    if (verified.result === 'revoked') return { result: 'revoked', did };
    if (verified.result !== 'valid') return { result: 'signature_mismatch', did };
    // Only the caller that deletes the nonce wins; a concurrent replay sees it gone.
    if (!(await this.#store.consumeChallenge(response.nonce))) return { result: 'unknown_nonce', did };
    return { result: 'valid', did, keyId: verified.keyId };
  }
}
