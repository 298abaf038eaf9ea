/** The outcome of asking the limiter for one request. */
export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until a request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * A token bucket per key (an identity): `burst` requests at once, refilled at `perSecond`. Buckets that have
 * refilled completely are indistinguishable from new ones, so the map is pruned of them when it grows.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(options: { burst: number; perSecond: number; now?: () => number; maxKeys?: number }) {
    this.#burst = options.burst;
    this.#perSecond = options.perSecond;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  takeSync(key: string): RateDecision {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#prune(now);
      bucket = { tokens: this.#burst, updated: now };
      this.#buckets.set(key, bucket);
    } else {
      const refill = ((now - bucket.updated) / 1000) * this.#perSecond;
      bucket.tokens = Math.min(this.#burst, bucket.tokens + refill);
      bucket.updated = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perSecond)),
    };
  }

  take(key: string): Promise<RateDecision> {
    return Promise.resolve(this.takeSync(key));
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.updated) / 1000) * this.#perSecond >= this.#burst) {
        this.#buckets.delete(key);
      }
    }
    // Still full of active keys: drop the oldest rather than grow without bound.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxKeys) break;
      this.#buckets.delete(key);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
