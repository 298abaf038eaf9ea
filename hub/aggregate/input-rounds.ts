import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  createRequestStateCodec,
  inputRequired,
  type InputRequiredResult,
  type AuthInfo,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ServerToClientRequest } from '../upstream/lease.ts';

/**
 * What the hub keeps in the `requestState` it hands a 2026-07-28 client (signed, bound to the caller and the
 * method): `parked` names a call still running upstream that waits for the client's answers; `relay` carries
 * a 2026-07-28 upstream's own state back to it, with any answers the hub already gave.
 */
export type HubState =
  { kind: 'parked'; id: string } | { kind: 'relay'; state?: string; answered?: Record<string, unknown> };

interface Ask {
  request: ServerToClientRequest;
  resolve(response: unknown): void;
  reject(error: Error): void;
}

/**
 * A forwarded call of a 2026-07-28 client whose upstream asked the client something (a 2025-era upstream's
 * sampling, elicitation or roots request): the upstream call keeps running while the question goes back to
 * the client as an `input_required` round, and the client's retry brings the answer.
 */
export class ParkedCall<T> {
  readonly id = randomUUID();
  readonly result: Promise<T>;
  readonly #asks = new Map<string, Ask>();
  readonly #round: (ctx: ServerContext | null) => void;
  #nextKey = 1;
  #wake: (() => void) | null = null;
  #expiry: NodeJS.Timeout | null = null;

  /**
   * `round` is told which request of the client is live (null between rounds), so the call's progress and
   * cancellation follow the client from round to round.
   */
  constructor(run: () => Promise<T>, round: (ctx: ServerContext | null) => void) {
    this.#round = round;
    this.result = run();
    this.result.catch(() => {});
  }

  /** Called (through the lease) when the upstream asks; settles when the client answers in a later round. */
  ask(request: ServerToClientRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#asks.set(`q${this.#nextKey++}`, { request, resolve, reject });
      this.#wake?.();
    });
  }

  /** The questions still open, keyed as the client must answer them. */
  questions(): Record<string, ServerToClientRequest> {
    return Object.fromEntries([...this.#asks].map(([key, ask]) => [key, ask.request]));
  }

  /** Hands the client's answers to the questions they are for; unanswered ones stay open. */
  answer(responses: Record<string, unknown>): void {
    for (const [key, response] of Object.entries(responses)) {
      const ask = this.#asks.get(key);
      if (!ask) continue;
      this.#asks.delete(key);
      ask.resolve(response);
    }
  }

  /** Resolves with the result, or with null as soon as a question is open. */
  async next(): Promise<{ result: T } | null> {
    if (this.#asks.size) return null;
    const asked = new Promise<null>((resolve) => {
      this.#wake = () => resolve(null);
    });
    try {
      return await Promise.race([this.result.then((result) => ({ result })), asked]);
    } finally {
      this.#wake = null;
    }
  }

  /** Gives up after `ms` without a retry: the open questions fail, so the upstream call ends. */
  expireIn(ms: number, onExpired: () => void): void {
    this.#expiry = setTimeout(() => {
      for (const ask of this.#asks.values()) ask.reject(new Error('the client did not answer in time'));
      this.#asks.clear();
      onExpired();
    }, ms);
    this.#expiry.unref();
  }

  resumed(): void {
    if (this.#expiry) clearTimeout(this.#expiry);
    this.#expiry = null;
  }

  live(ctx: ServerContext | null): void {
    this.#round(ctx);
  }
}

/**
 * What the state codec binds a state to (the method and the caller) for a call the hub answers without the
 * SDK path's request context.
 */
export function mintContext(auth: AuthInfo): ServerContext {
  return { mcpReq: { method: 'tools/call' }, http: { authInfo: auth } } as unknown as ServerContext;
}

/** The parked calls of this hub, and the codec that signs the state its clients echo. */
export class InputRounds {
  readonly codec: RequestStateCodec<HubState>;
  readonly #parked = new Map<string, ParkedCall<unknown>>();
  readonly #ttlMs: number;

  constructor(options: { key: Uint8Array; ttlSeconds: number }) {
    this.#ttlMs = options.ttlSeconds * 1000;
    this.codec = createRequestStateCodec<HubState>({
      key: options.key,
      ttlSeconds: options.ttlSeconds,
      // The state is good only for the caller and method it was handed out for.
      bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}`,
    });
  }

  get parkedCount(): number {
    return this.#parked.size;
  }

  /**
   * Waits for `call` to finish or ask something. A question parks the call and becomes this round's
   * `input_required` answer; a retry carrying the answers resumes it with `resume`.
   */
  async settle<T>(call: ParkedCall<T>, ctx: ServerContext): Promise<T | InputRequiredResult> {
    call.live(ctx);
    const outcome = await call.next();
    call.live(null);
    if (outcome) {
      this.#parked.delete(call.id);
      return outcome.result;
    }
    this.#parked.set(call.id, call);
    call.expireIn(this.#ttlMs, () => this.#parked.delete(call.id));
    return inputRequired({
      inputRequests: call.questions() as never,
      requestState: await this.codec.mint({ kind: 'parked', id: call.id }, ctx),
    });
  }

  /** The parked call a retry's state names, with the retry's answers handed to it. */
  resume(id: string, responses: Record<string, unknown>): ParkedCall<unknown> {
    const call = this.#parked.get(id);
    if (!call) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        'requestState: the call these answers were for is no longer waiting (it expired or finished)',
      );
    }
    call.resumed();
    call.answer(responses);
    return call;
  }

  /** Hands a 2026-07-28 upstream's `input_required` on to the client, its own state wrapped in ours. */
  async relay(
    result: { inputRequests?: Record<string, unknown>; requestState?: string },
    answered: Record<string, unknown>,
    ctx: ServerContext,
  ): Promise<InputRequiredResult> {
    const state: HubState = {
      kind: 'relay',
      ...(result.requestState !== undefined ? { state: result.requestState } : {}),
      ...(Object.keys(answered).length ? { answered } : {}),
    };
    return inputRequired({
      inputRequests: (result.inputRequests ?? {}) as never,
      requestState: await this.codec.mint(state, ctx),
    });
  }
}
