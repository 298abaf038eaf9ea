import type { FailureKind } from './errors.ts';

export type Health = 'unknown' | 'healthy' | 'unreachable' | 'model_missing' | 'error';

export interface CooldownPolicy {
  allowed_failures: number;
  failure_rate: number;
  min_requests: number;
  window_ms: number;
  cooldown_ms: number;
}

/**
 * What the router knows about one deployment: load, latency, recent outcomes, cooldown and health. Time
 * comes from the caller (`now`), so tests drive it with an injected clock.
 */
export class DeploymentState {
  inFlight = 0;
  requests = 0;
  failures = 0;
  promptTokens = 0;
  completionTokens = 0;
  /** Exponential moving averages (ms); null until the first sample. */
  ttftMs: number | null = null;
  latencyMs: number | null = null;
  cooldownUntil = 0;
  health: Health = 'unknown';
  healthDetail: string | null = null;
  checkedAt: number | null = null;
  lastError: { failure: FailureKind; message: string; at: number } | null = null;
  /** Outcomes inside the cooldown window, oldest first. */
  #window: Array<{ at: number; ok: boolean }> = [];
  readonly #alpha: number;

  constructor(alpha: number) {
    this.#alpha = alpha;
  }

  coolingDown(now: number): boolean {
    return this.cooldownUntil > now;
  }

  recordTtft(ms: number): void {
    this.ttftMs = this.ttftMs === null ? ms : this.#alpha * ms + (1 - this.#alpha) * this.ttftMs;
  }

  recordSuccess(now: number, latencyMs: number, policy: CooldownPolicy): void {
    this.requests++;
    this.latencyMs =
      this.latencyMs === null ? latencyMs : this.#alpha * latencyMs + (1 - this.#alpha) * this.latencyMs;
    this.#push(now, true, policy);
    if (this.health !== 'healthy') {
      this.health = 'healthy';
      this.healthDetail = null;
    }
  }

  /**
   * Records a failure; returns true when it put the deployment into cooldown. `mayCool` is false for the
   * only deployment that can serve its requests (cooling it would only turn slow answers into no answers).
   */
  recordFailure(
    now: number,
    failure: FailureKind,
    message: string,
    cools: boolean,
    mayCool: boolean,
    policy: CooldownPolicy,
  ): boolean {
    this.requests++;
    this.failures++;
    this.lastError = { failure, message, at: now };
    if (failure === 'unreachable') {
      this.health = 'unreachable';
      this.healthDetail = message;
    }
    if (!cools) return false;
    this.#push(now, false, policy);
    if (!mayCool || policy.cooldown_ms === 0) return false;
    const failed = this.#window.filter((o) => !o.ok).length;
    const total = this.#window.length;
    const tripped =
      failed >= policy.allowed_failures ||
      (total >= policy.min_requests && failed / total >= policy.failure_rate);
    if (!tripped) return false;
    this.cooldownUntil = now + policy.cooldown_ms;
    // A fresh start after the cooldown: it must fail again to cool again.
    this.#window = [];
    return true;
  }

  #push(now: number, ok: boolean, policy: CooldownPolicy): void {
    this.#window.push({ at: now, ok });
    const horizon = now - policy.window_ms;
    while (this.#window.length && (this.#window[0]?.at ?? now) <= horizon) this.#window.shift();
  }
}
