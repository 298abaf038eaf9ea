/** The outcome of asking the limiter for one request. */
export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until a request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens (one per JSON-RPC message: a batch costs its length) or none at all. */
  take(key: string, cost?: number): Promise<RateDecision>;
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

  takeSync(key: string, cost = 1): RateDecision {
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
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      // A cost above the burst can never be met: say so with the longest wait rather than a false promise.
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((Math.min(cost, this.#burst) - bucket.tokens) / this.#perSecond),
      ),
    };
  }

  take(key: string, cost = 1): Promise<RateDecision> {
    return Promise.resolve(this.takeSync(key, cost));
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
