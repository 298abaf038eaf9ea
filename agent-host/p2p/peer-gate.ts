import { PlexusError } from '../../lib/errors.ts';
import { MemoryRateLimiter, type RateDecision } from '../../lib/rate-limit.ts';
import type { PeerHandlers } from './server.ts';

export interface PeerLimits {
  /** Calls one peer DID may make at once, refilled at `perSecond`. */
  burst: number;
  perSecond: number;
  /** The same for every peer together: DIDs cost nothing to make, so a per-peer limit alone bounds little. */
  totalBurst: number;
  totalPerSecond: number;
  /** Questions answered at once (each runs the agent's model); more are refused as busy. */
  maxConcurrentAsks: number;
}

const EVERYONE = '*';

function refuseUnless(decision: RateDecision, whom: string): void {
  if (!decision.allowed)
    throw new PlexusError('limit', 'rate_limited', `too many calls ${whom}`, {
      hint: `retry in ${decision.retryAfterSeconds} s, or send through the hub`,
    });
}

/**
 * What the hub's gateway does for mail through the hub, the agent's own endpoint does for direct calls: it
 * limits how often peers call and how many questions run at once. A refusal tells the peer when to retry;
 * its Chat then sends through the hub instead.
 */
export class PeerGate {
  readonly #perPeer: MemoryRateLimiter;
  readonly #total: MemoryRateLimiter;
  readonly #maxAsks: number;
  #asking = 0;

  constructor(limits: PeerLimits, now: () => number = Date.now) {
    this.#perPeer = new MemoryRateLimiter({ burst: limits.burst, perSecond: limits.perSecond, now });
    this.#total = new MemoryRateLimiter({ burst: limits.totalBurst, perSecond: limits.totalPerSecond, now });
    this.#maxAsks = limits.maxConcurrentAsks;
  }

  /** Throws `rate_limited` when `peer`, or all peers together, called too often. */
  admit(peer: string): void {
    refuseUnless(this.#perPeer.takeSync(peer), `from ${peer}`);
    refuseUnless(this.#total.takeSync(EVERYONE), 'from all peers');
  }

  /** Runs one question, or throws `busy` when `maxConcurrentAsks` are already running. */
  async asking<T>(run: () => Promise<T>): Promise<T> {
    if (this.#asking >= this.#maxAsks)
      throw new PlexusError('limit', 'busy', `already answering ${this.#maxAsks} questions`, {
        hint: 'ask again later, or send a message through the hub',
      });
    this.#asking++;
    try {
      return await run();
    } finally {
      this.#asking--;
    }
  }

  /** `handlers` behind this gate. */
  guard(handlers: PeerHandlers): PeerHandlers {
    return {
      deliver: (peer, envelope) => {
        this.admit(peer);
        return handlers.deliver(peer, envelope);
      },
      ask: (peer, envelope, signal) => {
        this.admit(peer);
        return this.asking(() => handlers.ask(peer, envelope, signal));
      },
    };
  }
}
