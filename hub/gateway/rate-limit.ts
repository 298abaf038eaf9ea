import type { RateDecision, RateLimiter } from '../../lib/rate-limit.ts';

const TAKE_SCRIPT = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(b[1]) or burst
local updated = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000 * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

interface RedisLike {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** The same token bucket kept in Redis (one atomic script per request), shared by every hub replica. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: RedisLike;
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #prefix: string;

  constructor(redis: RedisLike, options: { burst: number; perSecond: number; prefix?: string }) {
    this.#redis = redis;
    this.#burst = options.burst;
    this.#perSecond = options.perSecond;
    this.#prefix = options.prefix ?? 'plexus:ratelimit:';
  }

  async take(key: string, cost = 1): Promise<RateDecision> {
    const [allowed, tokens] = (await this.#redis.eval(
      TAKE_SCRIPT,
      1,
      this.#prefix + key,
      this.#burst,
      this.#perSecond,
      cost,
    )) as [number, string];
    if (allowed === 1) return { allowed: true, retryAfterSeconds: 0 };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((Math.min(cost, this.#burst) - Number(tokens)) / this.#perSecond),
      ),
    };
  }

  async close(): Promise<void> {
    await this.#redis.quit();
  }
}
