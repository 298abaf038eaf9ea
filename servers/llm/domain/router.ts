import { setTimeout as delay } from 'node:timers/promises';
import { PlexusError } from '../../../lib/errors.ts';
import type { Logger } from '../../../lib/log.ts';
import type { LlmSettings } from '../../../schemas/llm/settings.ts';
import { OllamaBackend } from './backend-ollama.ts';
import { OpenAiBackend } from './backend-openai.ts';
import { DeploymentState } from './deployment-state.ts';
import { BackendError, FAILURES, classifyThrown, type FailureKind } from './errors.ts';
import { orderByPreferences, type ModelPreferences } from './preferences.ts';
import { retryDelay } from './retry.ts';
import {
  displayUrl,
  RoutingTable,
  type ChainLink,
  type Kind,
  type ResolvedDeployment,
  type Target,
} from './routing-table.ts';
import { Slots } from './slots.ts';
import { orderCandidates } from './strategies.ts';
import type { Backend, BackendChatResult, ChatParams } from './types.ts';

export interface RouterOptions {
  settings: LlmSettings;
  log: Logger;
  /** Wall clock (ms since the epoch): cooldown windows and timestamps. */
  now?: () => number;
  /** Waits between retry rounds; injectable so tests need not sleep through backoff. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Builds a deployment's backend (tests and benchmarks may wrap fetch). */
  backendFor?: (deployment: ResolvedDeployment) => Backend;
  random?: () => number;
}

export interface Attempt {
  deployment: string;
  ok: boolean;
  failure?: FailureKind;
  message?: string;
  latency_ms: number;
}

export interface RouteRequest extends Target {
  preferences?: ModelPreferences | undefined;
  /** Per-attempt timeout; capped by the deployment's own. */
  timeout_ms?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface Answered {
  deployment: string;
  backend: 'ollama' | 'openai';
  model: string;
  latency_ms: number;
  ttft_ms: number | null;
  attempts: Attempt[];
}

export type ChatOutcome = BackendChatResult & Answered;

export interface ChatRequest extends RouteRequest {
  params: ChatParams;
  onText?: ((delta: string) => void) | undefined;
  onRestart?: ((deployment: string) => void) | undefined;
}

export interface EmbedOutcome extends Answered {
  vectors: number[][];
  prompt_tokens: number | null;
}

type Operation<T> = (
  backend: Backend,
  deployment: ResolvedDeployment,
  signal: AbortSignal,
  onFirstToken: () => void,
) => Promise<T>;

const EMBED_BATCH = 64;

/**
 * Picks a deployment for each request, and on failure retries, falls back and cools deployments down:
 * - candidates come from the request's group chain, each group ordered by its strategy; cooling
 *   deployments are skipped;
 * - a failed attempt moves on to the next candidate at once; after a full round where every failure was
 *   retryable, the router waits (backoff, never less than Retry-After) and goes round again, up to
 *   `retries.max_retries` times;
 * - a context-window overflow switches the candidates to deployments with a larger `context_window`,
 *   smallest first, from any group;
 * - failures that count (rate limits, 5xx, timeouts, unreachable, auth, missing model) feed the cooldown
 *   rule; the only candidate of a request is never cooled.
 */
export class LlmRouter {
  readonly table: RoutingTable;
  readonly settings: LlmSettings;
  readonly states = new Map<string, DeploymentState>();
  readonly backends = new Map<string, Backend>();
  readonly #slots = new Map<string, Slots>();
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;

  constructor(options: RouterOptions) {
    this.settings = options.settings;
    this.table = new RoutingTable(options.settings);
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.#random = options.random ?? Math.random;
    const build = options.backendFor ?? ((d: ResolvedDeployment) => defaultBackend(d, this.#now));
    for (const d of this.table.deployments.values()) {
      this.states.set(d.id, new DeploymentState(options.settings.latency_alpha));
      this.backends.set(d.id, build(d));
      this.#slots.set(d.id, new Slots(d.max_concurrency));
    }
  }

  state(id: string): DeploymentState {
    const state = this.states.get(id);
    if (!state) throw new Error(`no deployment '${id}'`);
    return state;
  }

  /**
   * `onText` receives the answer as it streams; when an attempt that already streamed text fails and another
   * deployment takes over, `onRestart` is called first, so a listener can discard the partial answer.
   */
  async chat(request: ChatRequest): Promise<ChatOutcome> {
    let attempt = 0;
    let streamedBy = -1;
    return this.#route(request, 'chat', (backend, d, signal, onFirstToken) => {
      const self = ++attempt;
      const onText =
        request.onText &&
        ((delta: string) => {
          if (streamedBy !== self && streamedBy !== -1) request.onRestart?.(d.id);
          streamedBy = self;
          request.onText?.(delta);
        });
      return backend.chat(d.model, request.params, { signal, onFirstToken, onText });
    });
  }

  /** Embeds texts in batches; every batch of one call goes to the same deployment (one vector space). */
  async embed(request: RouteRequest & { texts: string[] }): Promise<EmbedOutcome> {
    return this.#route(request, 'embed', async (backend, d, signal, onFirstToken) => {
      const vectors: number[][] = [];
      let tokens: number | null = 0;
      for (let i = 0; i < request.texts.length; i += EMBED_BATCH) {
        const batch = request.texts.slice(i, i + EMBED_BATCH);
        const result = await backend.embed(d.model, batch, { signal });
        if (i === 0) onFirstToken();
        if (result.vectors.length !== batch.length)
          throw new BackendError(
            'protocol',
            `asked for ${batch.length} vectors, got ${result.vectors.length}`,
          );
        vectors.push(...result.vectors);
        tokens = tokens === null || result.prompt_tokens === null ? null : tokens + result.prompt_tokens;
      }
      return { vectors, prompt_tokens: tokens };
    });
  }

  /** The chain for a request, with model preferences (if any) merged in as one ordered pseudo-group. */
  chainFor(request: RouteRequest, kind: Kind): ChainLink[] {
    const chain = this.table.resolve(request, kind);
    const prefs = request.preferences;
    if (!prefs || request.model !== undefined) return chain;
    const hinted = this.table
      .ofKind(kind)
      .filter((d) =>
        (prefs.hints ?? []).some(
          (h) =>
            h.name &&
            [d.model, d.id, ...d.aliases].some((n) => n.toLowerCase().includes(h.name!.toLowerCase())),
        ),
      );
    const ids = [...new Set([...hinted.map((d) => d.id), ...chain.flatMap((l) => l.ids)])];
    const ordered = orderByPreferences(
      ids.map((id) => this.#deployment(id)),
      prefs,
    );
    return [{ group: 'model_preferences', strategy: 'priority', ids: ordered.map((d) => d.id) }];
  }

  async #route<T extends object>(request: RouteRequest, kind: Kind, op: Operation<T>): Promise<T & Answered> {
    const chain = this.chainFor(request, kind);
    const signal = request.signal ?? new AbortController().signal;
    const attempts: Attempt[] = [];
    const excluded = new Set<string>();
    const chainIds = new Set(chain.flatMap((l) => l.ids));
    const mayCool = chainIds.size > 1;
    let contextFloor: number | undefined;
    let lastRetryAfter: number | undefined;

    for (let round = 0; ; round++) {
      let retryable = false;
      let retryAfter: number | undefined;
      const tried = new Set<string>();
      for (;;) {
        // Re-ordered before every attempt: load, latency and cooldown change as attempts run.
        const id = this.#candidates(chain, kind, excluded, contextFloor).find((c) => !tried.has(c));
        if (id === undefined) break;
        tried.add(id);
        const d = this.#deployment(id);
        try {
          return await this.#attempt(d, request, signal, op, attempts, mayCool);
        } catch (error) {
          const failure = (error as BackendError).failure;
          if (failure === 'canceled')
            throw new PlexusError('unavailable', 'canceled', 'the request was canceled by the caller');
          if (failure === 'context_window') contextFloor = Math.max(contextFloor ?? 0, d.context_window ?? 0);
          if (FAILURES[failure].retryable) {
            retryable = true;
            const after = (error as BackendError).retryAfterMs;
            if (after !== undefined) retryAfter = Math.min(retryAfter ?? after, after);
          } else excluded.add(id);
        }
      }
      lastRetryAfter = retryAfter ?? lastRetryAfter;
      if (!retryable || round >= this.settings.retries.max_retries) break;
      const wait = retryDelay(round, this.settings.retries, retryAfter, this.#random);
      if (wait === null) break;
      this.#log.debug({ round, wait }, 'llm retry round');
      try {
        await this.#sleep(wait, signal);
      } catch {
        throw new PlexusError('unavailable', 'canceled', 'the request was canceled by the caller');
      }
    }
    throw this.#exhausted(kind, chain, attempts, lastRetryAfter);
  }

  #deployment(id: string): ResolvedDeployment {
    const d = this.table.deployments.get(id);
    if (!d) throw new Error(`no deployment '${id}'`);
    return d;
  }

  #candidates(
    chain: ChainLink[],
    kind: Kind,
    excluded: Set<string>,
    contextFloor: number | undefined,
  ): string[] {
    const now = this.#now();
    const usable = (id: string) => !excluded.has(id) && !this.state(id).coolingDown(now);
    if (contextFloor !== undefined) {
      const inChain = new Set(chain.flatMap((l) => l.ids));
      return this.table
        .ofKind(kind)
        .filter((d) => (d.context_window ?? 0) > contextFloor && usable(d.id))
        .map((d, i) => ({ d, i: inChain.has(d.id) ? i : i + 1e6 }))
        .sort((a, b) => (a.d.context_window ?? 0) - (b.d.context_window ?? 0) || a.i - b.i)
        .map(({ d }) => d.id);
    }
    const out: string[] = [];
    for (const link of chain) {
      const ordered = orderCandidates(
        link.strategy,
        link.ids.map((id) => ({ id, state: this.state(id) })),
      );
      for (const c of ordered) if (usable(c.id) && !out.includes(c.id)) out.push(c.id);
    }
    return out;
  }

  async #attempt<T extends object>(
    d: ResolvedDeployment,
    request: RouteRequest,
    callerSignal: AbortSignal,
    op: Operation<T>,
    attempts: Attempt[],
    mayCool: boolean,
  ): Promise<T & Answered> {
    const state = this.state(d.id);
    const backend = this.backends.get(d.id) as Backend;
    const timeoutMs = Math.min(request.timeout_ms ?? Infinity, d.timeout_ms ?? this.settings.timeout_ms);
    const timer = new AbortController();
    const handle = setTimeout(
      () => timer.abort(new BackendError('timeout', `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const signal = AbortSignal.any([callerSignal, timer.signal]);
    const start = performance.now();
    let ttft: number | null = null;
    const slots = this.#slots.get(d.id) as Slots;
    let acquired = false;
    try {
      await slots.acquire(signal);
      acquired = true;
      state.inFlight++;
      const result = await op(backend, d, signal, () => {
        ttft ??= performance.now() - start;
      });
      const latency = performance.now() - start;
      state.recordSuccess(this.#now(), latency, this.settings.cooldown);
      if (ttft !== null) state.recordTtft(ttft);
      const tokens = result as Partial<BackendChatResult>;
      state.promptTokens += tokens.prompt_tokens ?? 0;
      state.completionTokens += tokens.completion_tokens ?? 0;
      attempts.push({ deployment: d.id, ok: true, latency_ms: round(latency) });
      return {
        ...result,
        deployment: d.id,
        backend: d.backend,
        model: d.model,
        latency_ms: round(latency),
        ttft_ms: ttft === null ? null : round(ttft),
        attempts,
      };
    } catch (thrown) {
      const error = timer.signal.aborted
        ? (timer.signal.reason as BackendError)
        : callerSignal.aborted
          ? new BackendError('canceled', 'canceled by the caller')
          : classifyThrown(thrown);
      const latency = performance.now() - start;
      attempts.push({
        deployment: d.id,
        ok: false,
        failure: error.failure,
        message: error.message,
        latency_ms: round(latency),
      });
      if (error.failure !== 'canceled') {
        const cooled = state.recordFailure(
          this.#now(),
          error.failure,
          error.message,
          FAILURES[error.failure].cools,
          mayCool,
          this.settings.cooldown,
        );
        this.#log.warn(
          { deployment: d.id, failure: error.failure, err: error.message, cooled },
          'llm attempt failed',
        );
      }
      throw error;
    } finally {
      clearTimeout(handle);
      if (acquired) {
        state.inFlight--;
        slots.release();
      }
    }
  }

  #exhausted(
    kind: Kind,
    chain: ChainLink[],
    attempts: Attempt[],
    retryAfter: number | undefined,
  ): PlexusError {
    // Retries of one deployment that failed the same way are told once, with their count.
    const counts = new Map<string, number>();
    for (const a of attempts) {
      const d = this.#deployment(a.deployment);
      const line = `${d.id} (${d.backend} ${d.model} at ${displayUrl(d.url)}): ${a.failure} — ${a.message}`;
      counts.set(line, (counts.get(line) ?? 0) + 1);
    }
    const tried = [...counts]
      .map(([line, count]) => (count > 1 ? `${line} (${count} attempts)` : line))
      .join('; ');
    if (!attempts.length) {
      const ids = [...new Set(chain.flatMap((l) => l.ids))];
      if (!ids.length)
        return new PlexusError(
          'unavailable',
          'no_deployment',
          `no ${kind} deployment is configured for this request`,
          {
            hint: `add a deployment with kinds ['${kind}'] to the llm settings`,
          },
        );
      const until = Math.min(...ids.map((id) => this.state(id).cooldownUntil));
      return new PlexusError(
        'unavailable',
        'cooling_down',
        `every ${kind} deployment (${ids.join(', ')}) is cooling down after failures`,
        {
          hint: `retry in ${Math.max(0, until - this.#now())} ms`,
        },
      );
    }
    const failures = new Set(attempts.map((a) => a.failure));
    if ([...failures].every((f) => f === 'unreachable')) {
      const backends = [
        ...new Set(
          attempts
            .map((a) => this.#deployment(a.deployment))
            .map((d) => `${d.backend} at ${displayUrl(d.url)}`),
        ),
      ];
      return new PlexusError(
        'unavailable',
        'llm_unavailable',
        `no LLM backend is reachable; tried ${tried}`,
        {
          hint: `start Ollama (\`ollama serve\`, install from https://ollama.com) and pull the model (\`ollama pull <model>\`), or point OLLAMA_HOST / the llm settings at a running server (tried ${backends.join(', ')})`,
        },
      );
    }
    if (failures.has('context_window'))
      return new PlexusError(
        'limit',
        'context_window_exceeded',
        `the prompt does not fit any deployment's context window; tried ${tried}`,
        {
          hint: 'shorten the messages, or configure a deployment with a larger context_window',
        },
      );
    if ([...failures].every((f) => f === 'rate_limited'))
      return new PlexusError('limit', 'rate_limited', `every deployment is rate limited; tried ${tried}`, {
        hint: retryAfter !== undefined ? `retry after ${Math.ceil(retryAfter / 1000)} s` : 'retry later',
      });
    if ([...failures].every((f) => f === 'timeout'))
      return new PlexusError('unavailable', 'timeout', `no deployment answered in time; tried ${tried}`, {
        hint: 'raise timeout_ms or use a faster model',
      });
    return new PlexusError('unavailable', 'llm_failed', `no deployment could answer; tried ${tried}`, {
      hint: 'see list_models for deployment health',
    });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function defaultBackend(d: ResolvedDeployment, now: () => number): Backend {
  return d.backend === 'ollama'
    ? new OllamaBackend({ url: d.url, now })
    : new OpenAiBackend({ url: d.url, apiKey: d.api_key, now });
}
