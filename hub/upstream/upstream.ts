import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  type Client,
  type ClientCapabilities,
  type DiscoverResult,
  type LoggingMessageNotification,
  type McpSubscription,
  type Result,
  type ServerNotification,
  type SubscriptionFilter,
  type Tool,
} from '@modelcontextprotocol/client';
import type { Logger } from '../../lib/log.ts';
import { ANONYMOUS } from '../../lib/mcp/caller.ts';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import type { DirectCalls } from '../../lib/mcp/direct-call.ts';
import { UpstreamClient } from './upstream-client.ts';
import { changedKinds, listCatalog, relist, type Catalog, type CatalogKind } from './catalog.ts';
import type { Connector } from './connectors.ts';
import type { Downstream, Lease, ServerToClientRequest } from './lease.ts';
import { connectionLost, refused, Relay } from './relay.ts';

export type { Catalog, CatalogKind } from './catalog.ts';
export type { Downstream, Lease, ServerToClientRequest } from './lease.ts';

/** What the pool tells the hub about: routing of server-initiated traffic. */
export interface UpstreamEvents {
  /** A server-to-client request (sampling, elicitation, roots) pushed during `lease`'s call (2025 era). */
  onServerRequest(upstream: Upstream, request: ServerToClientRequest, lease: Lease): Promise<unknown>;
  onCatalogChanged(upstream: Upstream, kinds: CatalogKind[]): void;
  onResourceUpdated(upstream: Upstream, uri: string, subscribers: ReadonlySet<string>): void;
  /** A log message; `leases` are the calls it may belong to (latest per client in flight there). */
  onLog(upstream: Upstream, params: LoggingMessageNotification['params'], leases: Lease[]): void;
  onStateChanged?(upstream: Upstream): void;
  /** What may be asked of `lease`'s client through the hub (what it declared, and what the hub answers). */
  capabilitiesFor(lease: Lease): ClientCapabilities;
}

export interface UpstreamOptions {
  maxSessions: number;
  idleMs: number;
  requestTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /**
   * How long one attempt to (re)connect may take, handshake and listings included (default requestTimeoutMs):
   * past it the attempt is given up (a stdio child is stopped) and the upstream is down. A call that finds
   * the upstream down waits for one such attempt.
   */
  startTimeoutMs?: number;
  log: Logger;
  events: UpstreamEvents;
}

interface Session {
  readonly id: number;
  readonly client: UpstreamClient;
  readonly inflight: Map<number, Lease>;
  lastUsed: number;
  alive: boolean;
  /** Why the session was dropped, when it was. */
  lostReason?: unknown;
}

export type UpstreamState = 'starting' | 'ready' | 'down' | 'closed';
export type UpstreamEra = 'legacy' | 'modern';

const HUB_CLIENT_INFO = { name: 'plexus-hub', version: '0.1.0' };
const HUB_CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/** True when an error means the upstream session is gone (closed transport, restarted server). */
export function isSessionLost(error: unknown): boolean {
  if (error instanceof SdkHttpError) return error.status === 404;
  if (error instanceof SdkError) return error.code === SdkErrorCode.ConnectionClosed;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return (
      error.message === 'Not connected' ||
      cause?.code === 'ECONNREFUSED' ||
      cause?.code === 'ECONNRESET' ||
      /fetch failed/.test(error.message)
    );
  }
  return false;
}

/** True when the lost session provably never ran the request, so sending it again is safe. */
function neverDelivered(error: unknown): boolean {
  if (error instanceof SdkHttpError) return error.status === 404;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return error.message === 'Not connected' || cause?.code === 'ECONNREFUSED';
  }
  return false;
}

/**
 * One mounted upstream: its connection(s), its catalog, its resource subscriptions, and reconnection with
 * backoff (which is also the supervision of stdio children: a session there is a process).
 *
 * Every upstream (remote, stdio, in-process) is asked for the 2026-07-28 revision first (`server/discover`)
 * and spoken to in the 2025 era only when it answers only that. A 2026-07-28 HTTP upstream keeps nothing per
 * caller: each forwarded call gets its own short-lived client made from the discovery result (no round
 * trip), so everything the call's response stream carries belongs to that call; one control client lists the
 * catalog and listens for changes. Other upstreams are a small pool of connections (sessions, in the 2025
 * era): one whose in-flight calls all come from one client is preferred, so that a sampling or elicitation
 * request a 2025-era upstream sends back can be attributed to exactly one client; the pool opens more (up to
 * maxSessions) rather than mix clients.
 */
export class Upstream {
  readonly name: string;
  readonly connector: Connector;
  readonly #options: UpstreamOptions;
  readonly #log: Logger;
  #sessions: Session[] = [];
  #opening = 0;
  #nextSessionId = 1;
  #nextLeaseId = 1;
  #control: Session | null = null;
  #era: UpstreamEra | null = null;
  /** Set when the upstream closed the connection on the 2026-07-28 question: it gets the 2025 handshake only. */
  #legacyOnly = false;
  #discover: DiscoverResult | undefined;
  /** The control client's `subscriptions/listen` stream (2026-07-28 upstreams). */
  #listen: McpSubscription | null = null;
  #catalog: Catalog | null = null;
  #state: UpstreamState = 'starting';
  #lastError: string | null = null;
  #backoffMs: number;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #reconnecting: Promise<void> | null = null;
  /** Calls waiting for the (re)connect attempt under way to end, one way or the other. */
  #attemptWaiters: (() => void)[] = [];
  /** Connection attempts in progress; close() cancels them. */
  readonly #attempts = new Set<AbortController>();
  #refreshTimer: NodeJS.Timeout | null = null;
  #pendingKinds = new Set<CatalogKind>();
  /** Subscribed URI → the hub owners (sessions, listen streams) subscribed to it. */
  readonly #subscriptions = new Map<string, Set<string>>();
  /** The forwarded caller of each subscribed URI's latest subscriber, to subscribe again after a restart. */
  readonly #subscriptionMeta = new Map<string, Record<string, unknown> | undefined>();
  /** Progress listeners by the hub-issued token of the upstream request they belong to. */
  readonly #progress = new Map<string, (params: Record<string, unknown>) => void>();
  #progressSeq = 0;
  readonly #sweeper: NodeJS.Timeout;
  /** The byte relay's socket pool, made on first use. */
  #relay: Relay | null = null;
  /** Reconnects made after the first successful start (for metrics and tests). */
  restarts = 0;

  constructor(name: string, connector: Connector, options: UpstreamOptions) {
    this.name = name;
    this.connector = connector;
    this.#options = options;
    this.#log = options.log.child({ upstream: name });
    this.#backoffMs = options.backoffInitialMs;
    this.#sweeper = setInterval(() => this.#sweepIdle(), Math.max(1000, Math.min(options.idleMs, 30_000)));
    this.#sweeper.unref();
  }

  get state(): UpstreamState {
    return this.#state;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  get catalog(): Catalog | null {
    return this.#catalog;
  }
  get sessionCount(): number {
    return this.#sessions.length;
  }
  /** The protocol era the upstream was found to speak; null before it was first reached. */
  get era(): UpstreamEra | null {
    return this.#era;
  }

  /**
   * Opens the control session and lists the catalog. On failure the upstream is marked down and retried in
   * the background; the error is rethrown so the caller can decide whether that is fatal.
   */
  async start(): Promise<void> {
    try {
      await this.#connectControl();
    } catch (error) {
      this.#markDown(error);
      this.#wakeAttemptWaiters();
      throw error;
    }
  }

  async #connectControl(): Promise<void> {
    const attempt = new AbortController();
    const limitMs = this.#options.startTimeoutMs ?? this.#options.requestTimeoutMs;
    const timer = setTimeout(() => {
      attempt.abort(
        new SdkError(SdkErrorCode.RequestTimeout, `no answer within ${limitMs / 1000} s of starting`),
      );
    }, limitMs);
    this.#attempts.add(attempt);
    try {
      await this.#connectControlWithin(attempt.signal);
    } finally {
      clearTimeout(timer);
      this.#attempts.delete(attempt);
    }
  }

  async #connectControlWithin(signal: AbortSignal): Promise<void> {
    const session = await this.#openSession(signal);
    try {
      this.#era = session.client.getProtocolEra() === 'modern' ? 'modern' : 'legacy';
      this.#discover = session.client.getDiscoverResult();
      const catalog = await listCatalog(session.client, this.name, {
        timeout: this.#options.requestTimeoutMs,
        signal,
      });
      const previous = this.#catalog;
      this.#catalog = catalog;
      this.#control = session;
      if (this.#era === 'modern') await this.#relisten();
      else await this.#resubscribeLegacy(session);
      if (this.#state === 'down') this.restarts++;
      this.#state = 'ready';
      this.#lastError = null;
      this.#backoffMs = this.#options.backoffInitialMs;
      this.#wakeAttemptWaiters();
      this.#options.events.onStateChanged?.(this);
      if (previous) {
        const changed = changedKinds(previous, catalog);
        if (changed.length) this.#options.events.onCatalogChanged(this, changed);
      }
    } catch (error) {
      this.#kill(session);
      throw error;
    }
  }

  async #resubscribeLegacy(session: Session): Promise<void> {
    for (const uri of this.#subscriptions.keys()) {
      const _meta = this.#subscriptionMeta.get(uri);
      await session.client.subscribeResource({ uri, ...(_meta ? { _meta } : {}) }).catch((error: unknown) => {
        this.#log.warn({ err: error, uri }, 'resubscribe failed');
      });
    }
  }

  /**
   * (Re)opens the control client's listen stream for what the hub follows: list changes the upstream
   * announces, and every subscribed URI. The new stream is acknowledged before the old one closes, so no
   * change falls between them.
   */
  async #relisten(): Promise<void> {
    const control = this.#control;
    const capabilities = this.#catalog?.capabilities ?? {};
    if (!control) return;
    const filter: SubscriptionFilter = {
      ...(capabilities.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(capabilities.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(capabilities.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(this.#subscriptions.size && capabilities.resources?.subscribe
        ? { resourceSubscriptions: [...this.#subscriptions.keys()] }
        : {}),
    };
    const previous = this.#listen;
    this.#listen = null;
    if (Object.keys(filter).length) {
      const subscription = await control.client.listen(filter, { timeout: this.#options.requestTimeoutMs });
      this.#listen = subscription;
      void subscription.closed.then((cause) => {
        // An upstream that restarted drops its streams: reconnect as for a lost session.
        if (cause === 'remote' && this.#listen === subscription && control.alive) {
          this.#lost(control, new Error('the upstream closed its listen stream'));
        }
      });
    }
    await previous?.close().catch(() => {});
  }

  #newClient(capabilities: ClientCapabilities = HUB_CLIENT_CAPABILITIES): UpstreamClient {
    return new UpstreamClient(HUB_CLIENT_INFO, {
      capabilities,
      versionNegotiation: {
        mode: 'auto',
        // A stdio server silent on the question is a 2025-era one; do not wait a request timeout for it.
        probe: { timeoutMs: Math.min(10_000, this.#options.requestTimeoutMs) },
      },
    });
  }

  async #openSession(signal?: AbortSignal): Promise<Session> {
    this.#opening++;
    try {
      const client = this.#newClient();
      const session: Session = {
        id: this.#nextSessionId++,
        client,
        inflight: new Map(),
        lastUsed: Date.now(),
        alive: true,
      };
      this.#wire(session);
      const transport = await this.connector.open();
      try {
        await client.connect(transport, {
          timeout: this.#options.requestTimeoutMs,
          ...(signal ? { signal } : {}),
          ...(this.#legacyOnly ? { prior: { kind: 'legacy' as const } } : {}),
        });
      } catch (error) {
        if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) {
          this.#legacyOnly = true;
          this.#log.info(
            { err: error.message },
            'upstream closed the connection on server/discover; it gets the 2025 handshake from now on',
          );
        }
        throw error;
      }
      if (this.#state === 'closed') {
        await client.close();
        throw new SdkError(SdkErrorCode.ConnectionClosed, `upstream '${this.name}' is shut down`);
      }
      this.#sessions.push(session);
      return session;
    } finally {
      this.#opening--;
    }
  }

  /** Routes what arrives on a client: to the calls in flight on it, or to the hub. */
  #wire(session: Session): void {
    const { client } = session;
    const forward = (method: string) => async (request: { params?: Record<string, unknown> }) => {
      const lease = this.#attribute(session, method);
      return (await this.#options.events.onServerRequest(
        this,
        { method, params: request.params },
        lease,
      )) as never;
    };
    client.setRequestHandler('sampling/createMessage', forward('sampling/createMessage'));
    client.setRequestHandler('elicitation/create', forward('elicitation/create'));
    client.setRequestHandler('roots/list', forward('roots/list'));
    const changed = (kind: CatalogKind) => () => this.#scheduleRefresh(kind);
    client.setNotificationHandler('notifications/tools/list_changed', changed('tools'));
    client.setNotificationHandler('notifications/prompts/list_changed', changed('prompts'));
    client.setNotificationHandler('notifications/resources/list_changed', changed('resources'));
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      const subscribers = this.#subscriptions.get(n.params.uri);
      if (subscribers?.size) this.#options.events.onResourceUpdated(this, n.params.uri, subscribers);
    });
    this.#wireCallTraffic(client, () => {
      const latest = new Map<string, Lease>();
      for (const lease of session.inflight.values()) latest.set(lease.owner.id, lease);
      return [...latest.values()];
    });
    client.onclose = () => {
      if (session.alive) this.#lost(session, new Error('connection closed'));
    };
    client.onerror = (error: Error) => {
      // A restarted HTTP upstream no longer knows the session: the SSE stream reports it here.
      if (isSessionLost(error) || /Maximum reconnection attempts/.test(error.message)) {
        this.#lost(session, error);
      } else {
        this.#log.debug({ err: error }, 'upstream transport error');
      }
    };
  }

  /** Progress and log messages of forwarded calls: to the calls `leases` names. */
  #wireCallTraffic(client: Client, leases: () => Lease[]): void {
    // Progress is routed here by the hub's own tokens, not through the SDK's onprogress: the SDK drops an
    // update that arrives in the same read as the result (its response handling runs first).
    client.setNotificationHandler('notifications/progress', (n) => this.#callTraffic(n, leases));
    client.setNotificationHandler('notifications/message', (n) => this.#callTraffic(n, leases));
  }

  #callTraffic(notification: ServerNotification, leases: () => Lease[]): void {
    if (notification.method === 'notifications/progress') {
      this.#progress.get(String(notification.params.progressToken))?.(notification.params);
    } else if (notification.method === 'notifications/message') {
      this.#options.events.onLog(this, notification.params, leases());
    }
  }

  /**
   * One request forwarded for `lease`'s client, with the retry rule of `call`. A tools/call of an in-process
   * server with no `input_required` rounds in it, that cannot become a task, is made in place (no session,
   * no client and server pair); everything else goes over a session.
   */
  forward(
    lease: Lease,
    retryable: boolean,
    method: string,
    params: Record<string, unknown>,
    tool?: Tool,
  ): Promise<Result> {
    const direct = this.#direct();
    const plain = !('inputResponses' in params) && !('requestState' in params);
    if (direct && method === 'tools/call' && plain && !Object.keys(this.requestMeta(lease)).length) {
      // What a session's client would declare in the request's envelope.
      const envelope = {
        [PROTOCOL_VERSION_META_KEY]: this.#control?.client.getNegotiatedProtocolVersion(),
        [CLIENT_CAPABILITIES_META_KEY]: HUB_CLIENT_CAPABILITIES,
        [CLIENT_INFO_META_KEY]: HUB_CLIENT_INFO,
      };
      const meta = { ...envelope, ...(params['_meta'] as Record<string, unknown> | undefined) };
      return direct.call(
        { ...params, _meta: meta },
        {
          signal: lease.signal,
          timeoutMs: this.#options.requestTimeoutMs,
          notify: (notification) => this.#callTraffic(notification, () => [lease]),
        },
      );
    }
    return this.call(lease, retryable, (client) =>
      client.forward(method, params, this.requestOptions(lease), tool),
    );
  }

  /** The in-process server's in-place calls, when it is ready and speaks 2026-07-28; else null. */
  #direct(): DirectCalls | null {
    return this.#state === 'ready' && this.#era === 'modern' ? (this.connector.direct?.() ?? null) : null;
  }

  /**
   * Whether a tools/call can be made in place now (see forward): a ready in-process server speaking
   * 2026-07-28. The request must also be plain (no `input_required` rounds) and unable to become a task.
   */
  get callsInPlace(): boolean {
    return this.#direct() !== null;
  }

  /** The call a server-to-client request belongs to: the only client with calls in flight on the session. */
  #attribute(session: Session, method: string): Lease {
    let found: Lease | undefined;
    for (const lease of session.inflight.values()) {
      if (found && found.owner.id !== lease.owner.id) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `${method} from '${this.name}' cannot be attributed: calls from several clients share its session`,
        );
      }
      found = lease;
    }
    if (!found) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${method} from '${this.name}' arrived outside any client call`,
      );
    }
    return found;
  }

  #scheduleRefresh(kind: CatalogKind): void {
    this.#pendingKinds.add(kind);
    if (this.#refreshTimer) return;
    // Coalesce bursts of list_changed into one listing.
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.refresh();
    }, 20);
  }

  /** Lists again what changed and tells the hub. */
  async refresh(): Promise<void> {
    const kinds = [...this.#pendingKinds];
    this.#pendingKinds.clear();
    const control = this.#control;
    const catalog = this.#catalog;
    if (!control || !catalog || kinds.length === 0) return;
    try {
      this.#catalog = await relist(control.client, catalog, kinds, {
        timeout: this.#options.requestTimeoutMs,
      });
      this.#options.events.onCatalogChanged(this, kinds);
    } catch (error) {
      this.#log.warn({ err: error }, 'catalog refresh failed');
    }
  }

  #lost(session: Session, error: unknown): void {
    if (!session.alive) return;
    session.lostReason = error;
    this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, 'upstream session lost');
    this.#kill(session);
    // An HTTP upstream that forgot one session (or refuses connections) restarted: the others are gone too.
    if (this.connector.kind === 'http' && neverDelivered(error)) {
      for (const other of [...this.#sessions]) {
        other.lostReason = error;
        this.#kill(other);
      }
    }
    if (session === this.#control || (this.#control && !this.#control.alive)) {
      this.#control = null;
      void this.#listen?.close().catch(() => {});
      this.#listen = null;
      this.#markDown(error);
    }
  }

  #kill(session: Session): void {
    session.alive = false;
    this.#sessions = this.#sessions.filter((s) => s !== session);
    void session.client.close().catch(() => {});
  }

  #markDown(error: unknown): void {
    if (this.#state === 'closed') return;
    this.#state = 'down';
    this.#lastError = error instanceof Error ? error.message : String(error);
    this.#options.events.onStateChanged?.(this);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer || this.#reconnecting || this.#state === 'closed') return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.backoffMaxMs);
    this.#log.info({ delayMs: delay }, 'reconnecting upstream');
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#reconnect((error) => this.#log.warn({ err: error }, 'reconnect failed'));
    }, delay);
    this.#reconnectTimer.unref();
  }

  /** Reconnect now instead of waiting for the backoff (a call is waiting). */
  #reconnectNow(): void {
    if (this.#reconnecting || this.#state === 'closed') return;
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    }
    this.#backoffMs = Math.max(this.#backoffMs, this.#options.backoffInitialMs);
    this.#reconnect(() => {});
  }

  #reconnect(onFailure: (error: string) => void): void {
    this.#reconnecting = this.#connectControl()
      .catch((error: unknown) => {
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.#wakeAttemptWaiters();
        onFailure(this.#lastError);
      })
      .finally(() => {
        this.#reconnecting = null;
        if (this.#state === 'down') this.#scheduleReconnect();
      });
  }

  /**
   * Returns once the upstream is ready; a down one is reconnected at once and the call waits for that attempt
   * (bounded by the start timeout, so a slow restart on a busy machine is waited for, a failed one reported
   * with its reason as soon as it fails).
   */
  async #waitReady(): Promise<void> {
    if (this.#state === 'ready') return;
    if (this.#state === 'closed') throw this.#unavailable();
    const attemptEnded = new Promise<void>((resolve) => this.#attemptWaiters.push(resolve));
    if (this.#attempts.size === 0) this.#reconnectNow();
    await attemptEnded;
    if ((this.#state as UpstreamState) !== 'ready') throw this.#unavailable();
  }

  #wakeAttemptWaiters(): void {
    for (const wake of this.#attemptWaiters.splice(0)) wake();
  }

  #unavailable(): ProtocolError {
    const reason = this.#state === 'closed' ? 'shut down' : (this.#lastError ?? 'not connected');
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      `upstream '${this.name}' is unavailable: ${reason}`,
      {
        code: 'upstream_unavailable',
        upstream: this.name,
      },
    );
  }

  async #acquire(owner: Downstream): Promise<Session> {
    await this.#waitReady();
    const max = this.connector.multiSession ? this.#options.maxSessions : 1;
    let best: Session | undefined;
    for (const session of this.#sessions) {
      if (!session.alive) continue;
      const exclusive = [...session.inflight.values()].every((l) => l.owner.id === owner.id);
      if (exclusive && (!best || session.inflight.size < best.inflight.size)) best = session;
    }
    if (best && (best.inflight.size === 0 || this.#sessions.length + this.#opening >= max)) return best;
    if (this.#sessions.length + this.#opening < max) {
      try {
        return await this.#openSession();
      } catch (error) {
        this.#log.warn({ err: error }, 'could not open an extra upstream session');
      }
    }
    if (best) return best;
    // Every session is busy with other clients: share the least loaded one.
    const shared = this.#sessions.filter((s) => s.alive).sort((a, b) => a.inflight.size - b.inflight.size)[0];
    if (!shared) throw this.#unavailable();
    return shared;
  }

  /**
   * A client for one call to a 2026-07-28 HTTP upstream: made from the discovery result, no round trip, and
   * declaring what the caller's own client can be asked (so the upstream refuses what it could not answer).
   */
  async #callClient(lease: Lease): Promise<UpstreamClient> {
    const client = this.#newClient(this.#options.events.capabilitiesFor(lease));
    this.#wireCallTraffic(client, () => [lease]);
    await client.connect(await this.connector.open(), {
      prior: { kind: 'modern', discover: this.#discover as DiscoverResult },
    });
    return client;
  }

  /**
   * Runs `fn` for `lease`: on a leased session, or on a client of its own for a 2026-07-28 HTTP upstream. A
   * connection lost before the request reached the upstream (restarted server, dead child) is replaced and
   * the call sent again once; one lost mid-call is retried only when `retryable` (read-only or idempotent),
   * since the upstream may have run it.
   */
  async call<T>(lease: Lease, retryable: boolean, fn: (client: UpstreamClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.#waitReady();
      const session = this.#perCall ? null : await this.#acquire(lease.owner);
      const leaseId = this.#nextLeaseId++;
      session?.inflight.set(leaseId, lease);
      let client: UpstreamClient | undefined;
      try {
        client = session ? session.client : await this.#callClient(lease);
        return await fn(client);
      } catch (error) {
        if (!isSessionLost(error)) throw error;
        // The session may have been dropped already for a reason that tells more (the server forgot it).
        const reason = session?.lostReason ?? error;
        if (session) this.#lost(session, error);
        else if (neverDelivered(error) && this.#control) this.#lost(this.#control, error);
        if (attempt === 0 && (retryable || neverDelivered(reason))) {
          this.#log.info({ err: (error as Error).message }, 'upstream connection lost; retrying');
          continue;
        }
        throw this.#wentAway();
      } finally {
        if (session) {
          session.inflight.delete(leaseId);
          session.lastUsed = Date.now();
        } else {
          void client?.close().catch(() => {});
        }
      }
    }
  }

  #wentAway(): ProtocolError {
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      `upstream '${this.name}' went away during the call; it may or may not have completed`,
      { code: 'upstream_restarted', upstream: this.name },
    );
  }

  /**
   * Whether requests can be relayed to it as bytes: a 2026-07-28 HTTP upstream keeps nothing per caller, so
   * the client's request (rewritten where the hub must) is all it needs.
   */
  get relayable(): boolean {
    return this.#perCall && this.connector.http !== undefined && this.#state !== 'closed';
  }

  /**
   * Runs `fn` on the byte relay once the upstream is ready, with the retry rule of `call`: a request refused
   * (nothing listening: the upstream restarts) is sent again once it is back; one whose connection was lost
   * mid-call only when `retryable`.
   */
  async relayed<T>(retryable: boolean, fn: (relay: Relay) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.#waitReady();
      const http = this.connector.http;
      if (!http) throw this.#unavailable();
      this.#relay ??= new Relay(http.url, http.headers);
      try {
        return await fn(this.#relay);
      } catch (error) {
        if (!connectionLost(error)) throw error;
        if (refused(error) && this.#control) this.#lost(this.#control, error);
        if (attempt === 0 && (retryable || refused(error))) {
          this.#log.info({ err: (error as Error).message }, 'upstream connection lost; retrying');
          continue;
        }
        throw this.#wentAway();
      }
    }
  }

  /**
   * A call the hub makes on its own behalf (token endpoint, JWKS): no client to route server-initiated
   * requests to, so those are refused.
   */
  callInternal<T>(fn: (client: UpstreamClient) => Promise<T>): Promise<T> {
    const lease: Lease = {
      owner: { id: `hub:${this.name}`, era: 'legacy' },
      caller: ANONYMOUS,
      capabilities: {},
      logLevel: 'none',
      signal: new AbortController().signal,
      notify: () => {},
      ask: () =>
        Promise.reject(
          new ProtocolError(ProtocolErrorCode.InvalidRequest, 'the hub itself cannot answer this'),
        ),
    };
    return this.call(lease, true, fn);
  }

  /** Whether each call gets a client of its own (2026-07-28 over HTTP), else a session of the pool. */
  get #perCall(): boolean {
    return this.#era === 'modern' && this.connector.kind === 'http';
  }

  /**
   * What a forwarded request's `_meta` needs for `lease` on this upstream. A session shared by several
   * clients (a 2026-07-28 stdio or in-process upstream) declares what the hub answers itself; the Tasks
   * extension, which only the client can follow, it declares for the request of a client that did. (A
   * client made for one call declares what that call's client may be asked.)
   */
  requestMeta(lease: Lease): Record<string, unknown> {
    if (this.#era !== 'modern' || this.#perCall) return {};
    const tasks = this.#options.events.capabilitiesFor(lease).extensions?.[TASKS_EXTENSION];
    if (tasks === undefined) return {};
    const declared = { ...HUB_CLIENT_CAPABILITIES, extensions: { [TASKS_EXTENSION]: tasks } };
    return { [CLIENT_CAPABILITIES_META_KEY]: declared };
  }

  /** Options for a forwarded request: the client's cancellation and our timeout. */
  requestOptions(lease: Lease) {
    return { signal: lease.signal, timeout: this.#options.requestTimeoutMs };
  }

  /**
   * Relays the progress of one upstream request to `onprogress`: put `meta` in the request's `_meta`, and
   * release when the request is done. Without a listener there is no token and nothing to release.
   */
  trackProgress(onprogress: ((progress: Record<string, unknown>) => void) | undefined): {
    meta: Record<string, unknown>;
    release(): void;
  } {
    if (!onprogress) return { meta: {}, release: () => {} };
    const token = `hub-progress-${this.#progressSeq++}`;
    this.#progress.set(token, onprogress);
    return { meta: { progressToken: token }, release: () => this.#progress.delete(token) };
  }

  /**
   * Subscribes a hub owner (a client session or listen stream) to `uri`. The upstream decides who may watch
   * what (an inbox only its owner), so it is asked for every owner with that owner's caller named in `_meta`:
   * a 2025-era upstream by the subscribe itself, a 2026-07-28 one by reading the resource as that caller (what
   * one may read one may watch); the updates then come through one subscription per URI and fan out.
   */
  async subscribe(ownerId: string, uri: string, meta?: Record<string, unknown>): Promise<void> {
    await this.#waitReady();
    const control = this.#control as Session;
    const params = { uri, ...(meta ? { _meta: meta } : {}) };
    if (this.#era === 'modern')
      await control.client.readResource(params, { timeout: this.#options.requestTimeoutMs });
    else await control.client.subscribeResource(params);
    let owners = this.#subscriptions.get(uri);
    const added = !owners;
    if (!owners) {
      owners = new Set();
      this.#subscriptions.set(uri, owners);
    }
    owners.add(ownerId);
    this.#subscriptionMeta.set(uri, meta);
    if (added && this.#era === 'modern') await this.#relisten();
  }

  async unsubscribe(ownerId: string, uri: string): Promise<void> {
    const owners = this.#subscriptions.get(uri);
    if (!owners?.delete(ownerId) || owners.size > 0) return;
    this.#subscriptions.delete(uri);
    this.#subscriptionMeta.delete(uri);
    const control = this.#control;
    if (!control || this.#state !== 'ready') return;
    if (this.#era === 'modern') await this.#relisten();
    else await control.client.unsubscribeResource({ uri });
  }

  /** Forgets a closed owner's subscriptions. */
  async dropOwner(ownerId: string): Promise<void> {
    for (const [uri, owners] of [...this.#subscriptions]) {
      if (owners.has(ownerId)) await this.unsubscribe(ownerId, uri).catch(() => {});
    }
  }

  /** Sends a notification to every live 2025-era session (e.g. roots/list_changed from a client). */
  async broadcast(method: string): Promise<void> {
    if (this.#era !== 'legacy') return;
    await Promise.allSettled(this.#sessions.map((s) => s.client.notification({ method })));
  }

  #sweepIdle(): void {
    const cutoff = Date.now() - this.#options.idleMs;
    for (const session of this.#sessions) {
      if (session !== this.#control && session.inflight.size === 0 && session.lastUsed < cutoff) {
        this.#kill(session);
      }
    }
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    clearInterval(this.#sweeper);
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    this.#wakeAttemptWaiters();
    for (const attempt of this.#attempts) attempt.abort(this.#unavailable());
    await this.#reconnecting;
    await this.#listen?.close().catch(() => {});
    this.#listen = null;
    const sessions = this.#sessions;
    this.#sessions = [];
    this.#control = null;
    for (const s of sessions) s.alive = false;
    await Promise.allSettled([...sessions.map((s) => s.client.close()), this.#relay?.close()]);
    this.#relay = null;
  }
}
