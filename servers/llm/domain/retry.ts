export interface RetryPolicy {
  max_retries: number;
  base_delay_ms: number;
  max_delay_ms: number;
}

/**
 * The wait before retry round `round` (0-based): exponential backoff with equal jitter, capped, and never
 * shorter than a server's Retry-After. Returns null when Retry-After asks for longer than the cap allows:
 * the caller then reports the failure instead of holding the request.
 */
export function retryDelay(
  round: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | null {
  if (retryAfterMs !== undefined && retryAfterMs > policy.max_delay_ms) return null;
  const ceiling = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** round);
  const backoff = ceiling / 2 + (random() * ceiling) / 2;
  return Math.round(Math.max(backoff, retryAfterMs ?? 0));
}
