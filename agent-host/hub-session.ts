import { setTimeout as sleep } from 'node:timers/promises';
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from '../lib/auth/client-assertion.ts';
import type { LoadedIdentity } from '../lib/identity/identity-file.ts';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';
import { retryAfterMs } from '../lib/net/retry-after.ts';

/**
 * One authenticated MCP session with the hub: an access token from `<hub>/oauth/token` (private_key_jwt
 * signed by the agent's DID key), refreshed before it expires, sent on every request of an SDK client to
 * `<hub>/mcp`. A 429 or 503 answer means the hub did not handle the request: the session then holds every
 * request back for the `Retry-After` it names and sends the same request again, keeping the session.
 */
export interface HubSessionOptions {
  hubUrl: string;
  identity: LoadedIdentity;
  log: Logger;
  /** Most time one request may take. */
  timeoutMs: number;
  clientName?: string;
  now?: () => number;
}

/** "Not now": the hub refused before handling the request, so sending it again is safe. */
const BUSY_STATUSES = new Set([429, 503]);
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

/**
 * Whether a failed hub call never got the hub's answer (unreachable, busy, the session broke), so the same
 * call may succeed later; a tool's own refusal is final.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof PlexusError) return error.code === 'hub_unreachable' || error.code === 'hub_busy';
  return true;
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

interface IssuedToken {
  access_token: string;
  expires_in: number;
}

/** Why the hub could not be used, as a PlexusError with a stable code. */
function unreachable(url: string, error: unknown): PlexusError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new PlexusError('unavailable', 'hub_unreachable', `cannot reach the hub at ${url} (${cause})`, {
    hint: 'is the hub running? set --hub, PLEXUS_HUB or hubUrl in agent.json',
  });
}

export class HubSession {
  readonly client: Client;
  readonly #o: HubSessionOptions;
  #token: string | null = null;
  #refreshTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Until when the hub asked this session to send nothing (epoch ms). */
  #pausedUntil = 0;
  /** The last request waiting its turn (settles when it got its answer), and how many wait. */
  #turn: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.client = new Client(
      { name: options.clientName ?? 'plexus-agent', version: '1.0.0' },
      { capabilities: {} },
    );
  }

  get tokenEndpoint(): string {
    return `${this.#o.hubUrl}/oauth/token`;
  }

  /** Gets a token and opens the MCP session. Throws hub_unreachable, hub_busy, identity_revoked or hub_refused. */
  async open(): Promise<void> {
    await this.#refresh();
    const transport = new StreamableHTTPClientTransport(new URL(`${this.#o.hubUrl}/mcp`), {
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        if (this.#token) headers.set('Authorization', `Bearer ${this.#token}`);
        return this.#fetch(url, { ...init, headers });
      },
      // The runtime reconnects the whole session itself (new token, fresh session) when the hub goes away.
      reconnectionOptions: {
        maxReconnectionDelay: 1000,
        initialReconnectionDelay: 200,
        reconnectionDelayGrowFactor: 1.5,
        maxRetries: 0,
      },
    });
    try {
      await this.client.connect(transport, { timeout: this.#o.timeoutMs });
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * fetch, sending again after a busy answer as long as the wait stays within half the request timeout (so
   * a request is never sent after its caller gave up); while the hub asks for a pause, requests wait it out
   * and then go one at a time, in the order they came, instead of all at once.
   */
  async #fetch(url: string | URL, init?: RequestInit): Promise<Response> {
    const deadline = Date.now() + this.#o.timeoutMs / 2;
    for (;;) {
      const slow = this.#pausedUntil > Date.now() || this.#queued > 0;
      const response = slow ? await this.#inTurn(url, init) : await this.#attempt(url, init);
      if (!BUSY_STATUSES.has(response.status) || this.#pausedUntil > deadline) return response;
      await response.body?.cancel();
    }
  }

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

  /** One request; a busy answer sets the pause that every request of this session then waits out. */
  async #attempt(url: string | URL, init?: RequestInit): Promise<Response> {
    const response = await fetch(url, init);
    if (BUSY_STATUSES.has(response.status)) {
      const wait = retryAfterMs(response.headers.get('retry-after')) ?? DEFAULT_RETRY_AFTER_MS;
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + wait);
      this.#o.log.warn(
        { status: response.status, retryAfterMs: wait, request: describeRequest(init) },
        'hub busy; waiting',
      );
    }
    return response;
  }

  /** Errors in Plexus terms: the hub unreachable, or busy for longer than a request may wait. */
  #translate(error: unknown): unknown {
    if (error instanceof TypeError) return unreachable(this.#o.hubUrl, error);
    if (error instanceof SdkHttpError && BUSY_STATUSES.has(error.status))
      return new HubBusyError(error.status, Math.max(0, this.#pausedUntil - Date.now()));
    return error;
  }

  async #fetchToken(): Promise<IssuedToken> {
    const { identity } = this.#o;
    const assertion = await createClientAssertion({
      did: identity.did,
      secretKey: identity.keys.signing.secretKey,
      audience: this.tokenEndpoint,
      ...(this.#o.now ? { now: this.#o.now() } : {}),
    });
    let response: Response;
    try {
      response = await this.#fetch(this.tokenEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: identity.did,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.#o.hubUrl, error);
    }
    const body = (await response.json().catch(() => ({}))) as Partial<IssuedToken> & {
      error?: string;
      error_description?: string;
    };
    if (BUSY_STATUSES.has(response.status))
      throw new HubBusyError(response.status, Math.max(0, this.#pausedUntil - Date.now()));
    if (!response.ok || typeof body.access_token !== 'string') {
      const description = body.error_description ?? `HTTP ${response.status}`;
      if (/revoked/i.test(description))
        throw new PlexusError(
          'forbidden',
          'identity_revoked',
          `the hub refuses ${identity.did}: ${description}`,
          {
            hint: 'a revoked identity cannot come back; create a new one in another directory',
          },
        );
      const kind = response.status >= 500 ? 'unavailable' : 'unauthorized';
      throw new PlexusError(
        kind,
        'hub_refused',
        `the hub refused a token: ${body.error ?? ''} ${description}`,
      );
    }
    return { access_token: body.access_token, expires_in: body.expires_in ?? 300 };
  }

  async #refresh(): Promise<void> {
    const issued = await this.#fetchToken();
    this.#token = issued.access_token;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    // Refresh at 80% of the lifetime, so a request never carries an expired token.
    const delay = Math.max(1000, issued.expires_in * 800);
    this.#refreshTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#refresh().catch((error: unknown) => {
        this.#o.log.warn({ err: error }, 'token refresh failed; retrying');
        this.#refreshTimer = setTimeout(() => void this.#refresh().catch(() => undefined), 5000);
        this.#refreshTimer.unref();
      });
    }, delay);
    this.#refreshTimer.unref();
    this.#o.log.debug({ expiresIn: issued.expires_in }, 'access token issued');
  }

  /** Calls a hub tool; a failed result throws a PlexusError carrying the tool's error code. */
  async call<T = Record<string, unknown>>(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<T> {
    let result: CallToolResult;
    try {
      result = await this.client.callTool(
        { name, arguments: args },
        {
          timeout: this.#o.timeoutMs,
          ...(signal ? { signal } : {}),
        },
      );
    } catch (error) {
      throw this.#translate(error);
    }
    const failure = toolErrorOf(result);
    if (failure) {
      throw new PlexusError(
        'unavailable',
        failure.code,
        `${name}: ${failure.message}`,
        failure.field ? { field: failure.field } : {},
      );
    }
    return (result.structuredContent ?? {}) as T;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    await this.client.close().catch(() => undefined);
  }
}
