import { setTimeout as sleep } from 'node:timers/promises';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { retryAfterMs } from '../lib/net/retry-after.ts';

/** "Not now": the hub refused before handling the request, so sending it again is safe. */
export const BUSY_STATUSES: ReadonlySet<number> = new Set([429, 503]);
/** The wait when a busy answer names none. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/** The hub stayed busy for longer than a request may wait; `retryAfterMs` says when to ask again. */
export class HubBusyError extends PlexusError {
  readonly retryAfterMs: number;

  constructor(status: number, retryAfterMs: number) {
    super('unavailable', 'hub_busy', `the hub is busy (HTTP ${status}); retry in ${retryAfterMs} ms`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** What a request was, for the log: the JSON-RPC method (and tool), or the HTTP method of one without a body. */
function describeRequest(init: RequestInit | undefined): string {
  if (typeof init?.body !== 'string') return init?.method ?? 'GET';
  try {
    const message = JSON.parse(init.body) as { method?: string; params?: { name?: string } };
    return [message.method, message.params?.name].filter(Boolean).join(' ');
  } catch {
    return 'POST';
  }
}

/**
 * Whether a request asks the hub to wait for something before answering (a tool call with `wait_ms`, as a
 * long-polling `receive_messages`): holding the turn until its answer would hold every request behind it.
 */
function waitsAtHub(init: RequestInit | undefined): boolean {
  if (typeof init?.body !== 'string' || !init.body.includes('"wait_ms"')) return false;
  try {
    const message = JSON.parse(init.body) as { params?: { arguments?: { wait_ms?: unknown } } };
    const wait = message.params?.arguments?.wait_ms;
    return typeof wait === 'number' && wait > 0;
  } catch {
    return false;
  }
}

/**
 * fetch for everything one agent sends the hub (tokens and MCP requests of either era). A 429 or 503 answer
 * means the hub did not handle the request: every request then waits out the `Retry-After` it names (1 s when
 * none) and they go again one at a time, in the order they came, instead of all at once; one that waits at the
 * hub for mail goes after the pause without taking a turn. A request is sent
 * again only while the wait stays within half of `timeoutMs`, so never after its caller gave up; past that the
 * busy answer is returned as it came.
 */
export class HubPacing {
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Until when the hub asked to be sent nothing (epoch ms). */
  #pausedUntil = 0;
  /** The last request waiting its turn (settles when it got its answer), and how many wait. */
  #turn: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(timeoutMs: number, log: Logger) {
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** How long the hub still asks to be left alone, in ms (0: not paused). */
  get pausedMs(): number {
    return Math.max(0, this.#pausedUntil - Date.now());
  }

  readonly fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const deadline = Date.now() + this.#timeoutMs / 2;
    for (;;) {
      const slow = this.#pausedUntil > Date.now() || this.#queued > 0;
      const response = !slow
        ? await this.#attempt(url, init)
        : waitsAtHub(init)
          ? await this.#afterPause(url, init)
          : await this.#inTurn(url, init);
      if (!BUSY_STATUSES.has(response.status) || this.#pausedUntil > deadline) return response;
      await response.body?.cancel();
    }
  };

  async #inTurn(url: string | URL, init?: RequestInit): Promise<Response> {
    const previous = this.#turn;
    const mine = Promise.withResolvers<void>();
    this.#turn = mine.promise;
    this.#queued += 1;
    try {
      await previous;
      const pause = this.#pausedUntil - Date.now();
      if (pause > 0) await sleep(pause, undefined, { signal: init?.signal ?? undefined });
      return await this.#attempt(url, init);
    } finally {
      this.#queued -= 1;
      mine.resolve();
    }
  }

  async #afterPause(url: string | URL, init?: RequestInit): Promise<Response> {
    const pause = this.#pausedUntil - Date.now();
    if (pause > 0) await sleep(pause, undefined, { signal: init?.signal ?? undefined });
    return this.#attempt(url, init);
  }

  /** One request; a busy answer sets the pause that every request then waits out. */
  async #attempt(url: string | URL, init?: RequestInit): Promise<Response> {
    const response = await fetch(url, init);
    if (BUSY_STATUSES.has(response.status)) {
      const wait = retryAfterMs(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_MS;
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
      this.#log.warn(
        { status: response.status, retryAfterMs: wait, request: describeRequest(init) },
        'hub busy; waiting',
      );
    }
    return response;
  }
}
