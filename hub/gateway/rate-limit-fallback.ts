import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/log.ts';
import { MemoryRateLimiter, type RateDecision, type RateLimiter } from '../../lib/rate-limit.ts';
import { RedisRateLimiter } from './rate-limit.ts';

/**
 * The shared Redis bucket while Redis answers, this replica's own bucket while it does not: a Redis outage
 * loosens the limit to per-replica for its duration instead of refusing every request. The client is made
 * with a short command timeout and no offline queue, so a dead Redis costs no latency: while it is not
 * connected the local bucket answers at once, and ioredis keeps reconnecting in the background.
 */
export class FallbackRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #shared: RedisRateLimiter;
  readonly #local: MemoryRateLimiter;
  readonly #log: Logger;
  #degraded = false;

  constructor(redis: Redis, options: { burst: number; perSecond: number; prefix?: string; log: Logger }) {
    this.#redis = redis;
    this.#shared = new RedisRateLimiter(redis, options);
    this.#local = new MemoryRateLimiter(options);
    this.#log = options.log;
  }

  /** Whether the last decision came from the local bucket. */
  get degraded(): boolean {
    return this.#degraded;
  }

  async take(key: string, cost = 1): Promise<RateDecision> {
    if (this.#redis.status === 'ready') {
      try {
        const decision = await this.#shared.take(key, cost);
        if (this.#degraded) this.#log.info('rate limits shared through Redis again');
        this.#degraded = false;
        return decision;
      } catch (error) {
        this.#degrade(error);
      }
    } else {
      this.#degrade(new Error(`redis ${this.#redis.status}`));
    }
    return this.#local.takeSync(key, cost);
  }

  #degrade(error: unknown): void {
    if (!this.#degraded) {
      this.#log.warn({ err: error }, 'Redis unavailable: rate limits are per replica until it is back');
    }
    this.#degraded = true;
  }

  async close(): Promise<void> {
    await this.#local.close();
    // quit() fails (or waits for a reply that never comes) when Redis is gone: then just drop the socket.
    await this.#shared.close().catch(() => this.#redis.disconnect());
  }
}
