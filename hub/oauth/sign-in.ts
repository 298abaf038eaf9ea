import type { RateLimiter } from '../../lib/rate-limit.ts';
import type { UserRecord } from './store.ts';
import type { Users } from './users.ts';

export type SignInOutcome =
  { user: UserRecord } | { error: 'wrong' } | { error: 'limited'; retryAfterSeconds: number };

/**
 * Password sign-in, rate-limited per user name and per client address (each a token bucket), so guessing
 * is slow for one account from many places and for many accounts from one place.
 */
export class SignIn {
  readonly #users: Users;
  readonly #limiter: RateLimiter;

  constructor(users: Users, limiter: RateLimiter) {
    this.#users = users;
    this.#limiter = limiter;
  }

  async attempt(name: string, password: string, address: string): Promise<SignInOutcome> {
    const [byName, byAddress] = await Promise.all([
      this.#limiter.take(`signin:user:${name.toLowerCase()}`),
      this.#limiter.take(`signin:addr:${address}`),
    ]);
    if (!byName.allowed || !byAddress.allowed) {
      return {
        error: 'limited',
        retryAfterSeconds: Math.max(byName.retryAfterSeconds, byAddress.retryAfterSeconds),
      };
    }
    const user = await this.#users.authenticate(name, password);
    return user ? { user } : { error: 'wrong' };
  }
}
