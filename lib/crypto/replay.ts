import { PlexusError } from '../errors.ts';

/** The fields of an envelope the guard looks at. */
export interface Freshness {
  id: string;
  sender: string;
  nonce: string;
  timestamp: number;
  expires: number;
}

export interface ReplayGuardOptions {
  /** Allowed clock difference, both ways (ms). Default 60 s. */
  skewMs?: number;
  /**
   * How old (by its timestamp) an envelope may be when it arrives. Default = skewMs: right for a router
   * taking envelopes straight from their senders. A recipient reading a store-and-forward inbox passes
   * Infinity and relies on `expires`.
   */
  maxAgeMs?: number;
  /** Most envelopes remembered at once. Default 100 000. */
  maxEntries?: number;
  now?: () => number;
}

export type ReplayVerdict =
  | { ok: true }
  | {
      ok: false;
      code: 'envelope_expired' | 'envelope_too_old' | 'envelope_from_future' | 'envelope_replayed';
      message: string;
    };

/**
 * Refuses envelopes that are expired, outside the timestamp window, or already seen (same sender and id,
 * or same sender and nonce). Each accepted envelope is remembered until it could no longer pass the time
 * checks anyway, so memory stays bounded by traffic within the window. When the cache is full the oldest
 * entry is dropped and its timestamp becomes a floor: anything not newer than the floor is refused as too
 * old, so dropping an entry never lets its replay through.
 */
export class ReplayGuard {
  readonly skewMs: number;
  readonly maxAgeMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  /** key → when it may be forgotten; insertion-ordered, two keys per envelope. */
  readonly #seen = new Map<string, { forgetAt: number; timestamp: number }>();
  #floor = -Infinity;
  #nextSweep = 0;

  constructor(options: ReplayGuardOptions = {}) {
    this.skewMs = options.skewMs ?? 60_000;
    this.maxAgeMs = options.maxAgeMs ?? this.skewMs;
    this.maxEntries = options.maxEntries ?? 100_000;
    if (this.maxEntries < 1) throw new Error('maxEntries must be at least 1');
    this.#now = options.now ?? Date.now;
  }

  /** Envelopes currently remembered. */
  get size(): number {
    return this.#seen.size / 2;
  }

  /** Checks and, when fresh, remembers `envelope`. */
  check(envelope: Freshness): ReplayVerdict {
    const now = this.#now();
    if (now >= envelope.expires) {
      return { ok: false, code: 'envelope_expired', message: `expired at ${envelope.expires}` };
    }
    if (envelope.timestamp > now + this.skewMs) {
      return {
        ok: false,
        code: 'envelope_from_future',
        message: `timestamp is ${envelope.timestamp - now} ms ahead of this clock (allowed ${this.skewMs})`,
      };
    }
    if (envelope.timestamp < now - this.maxAgeMs || envelope.timestamp <= this.#floor) {
      return { ok: false, code: 'envelope_too_old', message: 'timestamp is outside the accepted window' };
    }
    const idKey = `i|${envelope.sender}|${envelope.id}`;
    const nonceKey = `n|${envelope.sender}|${envelope.nonce}`;
    if (this.#live(idKey, now) || this.#live(nonceKey, now)) {
      return {
        ok: false,
        code: 'envelope_replayed',
        message: 'this envelope (id or nonce) was already seen',
      };
    }
    this.#remember(idKey, nonceKey, envelope, now);
    return { ok: true };
  }

  /** check(), throwing a PlexusError (kind `invalid`, field `timestamp`/`expires`/`id`) when refused. */
  assertFresh(envelope: Freshness, what = 'envelope'): void {
    const verdict = this.check(envelope);
    if (verdict.ok) return;
    const field = {
      envelope_expired: 'expires',
      envelope_too_old: 'timestamp',
      envelope_from_future: 'timestamp',
      envelope_replayed: 'id',
    }[verdict.code];
    throw new PlexusError('invalid', verdict.code, `${what}.${field}: ${verdict.message}`, {
      field: `${what}.${field}`,
    });
  }

  #live(key: string, now: number): boolean {
    const entry = this.#seen.get(key);
    return entry !== undefined && entry.forgetAt > now;
  }

  #remember(idKey: string, nonceKey: string, envelope: Freshness, now: number): void {
    // Past this moment the envelope fails the expiry or age check, so its entry is no longer needed
    // (plus skewMs of margin for a clock that steps back).
    const forgetAt = Math.min(envelope.expires, envelope.timestamp + this.maxAgeMs + 1) + this.skewMs;
    const entry = { forgetAt, timestamp: envelope.timestamp };
    if (now >= this.#nextSweep) this.#sweep(now);
    while (this.#seen.size + 2 > this.maxEntries * 2) {
      const oldest = this.#seen.entries().next().value;
      if (!oldest) break;
      this.#seen.delete(oldest[0]);
      this.#floor = Math.max(this.#floor, oldest[1].timestamp);
    }
    this.#seen.set(idKey, entry);
    this.#seen.set(nonceKey, entry);
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#seen) if (entry.forgetAt <= now) this.#seen.delete(key);
    this.#nextSweep = now + Math.max(1000, Math.min(this.skewMs, 60_000));
  }
}
