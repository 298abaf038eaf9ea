import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type {
  CreateMessageRequest,
  CreateMessageResult,
  LoggingLevel,
  LoggingMessageNotification,
  Server,
} from '@modelcontextprotocol/server';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
} from '@modelcontextprotocol/core';
import type { Logger } from '../../lib/log.ts';
import type { Caller } from '../../lib/mcp/caller.ts';
import { SCOPE_META_KEY } from '../../lib/mcp/define-tool.ts';
import type { HubMetrics } from '../metrics.ts';
import type {
  CatalogKind,
  Lease,
  ServerToClientRequest,
  Upstream,
  UpstreamEvents,
} from '../upstream/upstream.ts';
import { CatalogConflictError, mergeCatalogs, type MergedCatalog, type MountedSource } from './merge.ts';

export type RequiredScope = 'public' | 'read' | 'write' | 'admin';

/** An upstream as mounted in the hub. */
export class Mount implements MountedSource {
  readonly upstream: Upstream;
  readonly resourcePrefixes: readonly string[];
  /** Scope a tool needs when it does not declare one (external servers). */
  readonly defaultScope: RequiredScope;
  constructor(
    upstream: Upstream,
    options: { resourcePrefixes?: readonly string[]; defaultScope?: RequiredScope } = {},
  ) {
    this.upstream = upstream;
    this.resourcePrefixes = options.resourcePrefixes ?? [];
    this.defaultScope = options.defaultScope ?? 'write';
  }
  get name(): string {
    return this.upstream.name;
  }
  get catalog() {
    return this.upstream.catalog;
  }
}

/** The view a client session sees: everything (prefixed) or one upstream (unprefixed). */
export type ViewName = null | string;

/** What the aggregator keeps per client session: small, the handlers are shared. */
export interface HubSession {
  readonly id: string;
  readonly view: ViewName;
  readonly server: Server;
  /** `<upstream>\n<uri>` of resources this session subscribed to. */
  readonly subscriptions: Set<string>;
  logLevel: LoggingLevel | null;
}

const LOG_LEVELS: LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Answers sampling requests when the client cannot (the llm router). */
export type Sampler = (
  params: CreateMessageRequest['params'],
  caller: Caller,
) => Promise<CreateMessageResult>;

export function callerFromAuth(auth: { clientId: string; scopes: string[] } | undefined): Caller {
  if (!auth) return { subject: 'anonymous', did: null, scopes: [] };
  return {
    subject: auth.clientId,
    did: auth.clientId.startsWith('did:') ? auth.clientId : null,
    scopes: auth.scopes,
  };
}

/**
 * The routing core of the hub: the mounted upstreams, the merged catalogs of each view, the open client
 * sessions, and the forwarding of upstream-initiated traffic to the right session.
 */
export class Aggregator implements UpstreamEvents {
  readonly mounts = new Map<string, Mount>();
  readonly sessions = new Map<string, HubSession>();
  readonly #log: Logger;
  readonly metrics: HubMetrics;
  readonly requestTimeoutMs: number;
  sampler: Sampler | null = null;
  #merged: MergedCatalog<Mount> | null = null;
  readonly #single = new Map<string, MergedCatalog<Mount>>();
  readonly #restartsCounted = new Map<string, number>();
  /**
   * When each upstream joined the views: 0 for those up at start-up, then in the order the others came up.
   * Earlier ones win a conflict, so a late upstream never takes a name or URI away from a running one.
   */
  readonly #joined = new Map<string, number>();
  #serving = false;

  constructor(options: { log: Logger; metrics: HubMetrics; requestTimeoutMs: number }) {
    this.#log = options.log;
    this.metrics = options.metrics;
    this.requestTimeoutMs = options.requestTimeoutMs;
  }

  add(mount: Mount): void {
    if (this.mounts.has(mount.name)) throw new Error(`server '${mount.name}' is mounted twice`);
    this.mounts.set(mount.name, mount);
  }

  /**
   * The start-up check, then serving: merges what the upstreams that have started offer, strictly (a
   * conflict throws CatalogConflictError naming both sources). Upstreams that come up later join the views
   * as they do, their conflicting entries logged and left out.
   */
  serve(): void {
    this.rebuild(true);
    for (const mount of this.mounts.values()) if (mount.catalog) this.#joined.set(mount.name, 0);
    this.#serving = true;
  }

  /** Rebuilds the merged views; throws CatalogConflictError (naming both sources) when `strict`. */
  rebuild(strict: boolean): void {
    const rank = (mount: Mount) => this.#joined.get(mount.name) ?? Number.MAX_SAFE_INTEGER;
    const ordered = [...this.mounts.values()].sort((a, b) => rank(a) - rank(b));
    const { merged, problems } = mergeCatalogs(ordered, true);
    if (problems.length) {
      if (strict) throw new CatalogConflictError(problems);
      for (const problem of problems) this.#log.error({ problem }, 'catalog conflict; entry left out');
    }
    this.#merged = merged;
    this.#single.clear();
  }

  /** The catalog a view serves. */
  view(view: ViewName): MergedCatalog<Mount> {
    if (view === null) {
      if (!this.#merged) this.rebuild(false);
      return this.#merged as MergedCatalog<Mount>;
    }
    let single = this.#single.get(view);
    if (!single) {
      const mount = this.mounts.get(view);
      single = mergeCatalogs(mount ? [mount] : [], false).merged;
      this.#single.set(view, single);
    }
    return single;
  }

  /** The scope a request needs, for the gateway's early refusal (servers check again). */
  requiredScope(view: ViewName, method: string, params: unknown): RequiredScope | null {
    switch (method) {
      case 'tools/call': {
        const name = (params as { name?: unknown } | undefined)?.name;
        if (typeof name !== 'string') return null;
        const entry = this.view(view).tools.get(name);
        return entry ? toolScope(entry.item._meta, entry.source.defaultScope) : null;
      }
      case 'tools/list':
      case 'prompts/list':
      case 'prompts/get':
      case 'resources/list':
      case 'resources/templates/list':
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
      case 'completion/complete':
        return 'read';
      default:
        return null;
    }
  }

  register(session: HubSession): void {
    this.sessions.set(session.id, session);
  }

  async unregister(session: HubSession): Promise<void> {
    if (!this.sessions.delete(session.id)) return;
    await Promise.allSettled([...this.mounts.values()].map((m) => m.upstream.dropOwner(session.id)));
  }

  #sessionsViewing(upstream: Upstream): HubSession[] {
    return [...this.sessions.values()].filter((s) => s.view === null || s.view === upstream.name);
  }

  // ---- UpstreamEvents ----

  onCatalogChanged(upstream: Upstream, kinds: CatalogKind[]): void {
    this.rebuild(false);
    for (const session of this.#sessionsViewing(upstream)) {
      const server = session.server;
      if (kinds.includes('tools')) void server.sendToolListChanged().catch(() => {});
      if (kinds.includes('prompts')) void server.sendPromptListChanged().catch(() => {});
      if (kinds.includes('resources')) void server.sendResourceListChanged().catch(() => {});
    }
  }

  onResourceUpdated(upstream: Upstream, uri: string, subscribers: ReadonlySet<string>): void {
    for (const id of subscribers) {
      const session = this.sessions.get(id);
      if (session?.subscriptions.has(`${upstream.name}\n${uri}`)) {
        void session.server.sendResourceUpdated({ uri }).catch(() => {});
      }
    }
  }

  onLog(upstream: Upstream, params: LoggingMessageNotification['params'], leases: Lease[]): void {
    const wanted = (session: HubSession | undefined) =>
      session !== undefined &&
      (session.logLevel === null || LOG_LEVELS.indexOf(params.level) >= LOG_LEVELS.indexOf(session.logLevel));
    if (leases.length) {
      // Sent on the stream of the call that caused it.
      for (const lease of leases) {
        if (!wanted(this.sessions.get(lease.owner.id))) continue;
        const notification = { method: 'notifications/message' as const, params };
        if (lease.notify) lease.notify(notification);
        else void lease.extra.mcpReq.notify(notification).catch(() => {});
      }
      return;
    }
    for (const session of this.#sessionsViewing(upstream)) {
      if (wanted(session)) void session.server.sendLoggingMessage(params).catch(() => {});
    }
  }

  onStateChanged(upstream: Upstream): void {
    this.metrics.upstreamUp.set({ server: upstream.name }, upstream.state === 'ready' ? 1 : 0);
    const counted = this.#restartsCounted.get(upstream.name) ?? 0;
    if (upstream.restarts > counted) {
      this.metrics.upstreamRestarts.inc({ server: upstream.name }, upstream.restarts - counted);
      this.#restartsCounted.set(upstream.name, upstream.restarts);
    }
    const catalog = upstream.catalog;
    if (this.#serving && catalog && !this.#joined.has(upstream.name)) {
      this.#joined.set(upstream.name, this.#joined.size + 1);
      this.#log.info({ upstream: upstream.name }, 'upstream came up; its catalog joins the views');
      const kinds: CatalogKind[] = [];
      if (catalog.capabilities.tools) kinds.push('tools');
      if (catalog.capabilities.prompts) kinds.push('prompts');
      if (catalog.capabilities.resources) kinds.push('resources');
      this.onCatalogChanged(upstream, kinds);
    }
  }

  async onServerRequest(upstream: Upstream, request: ServerToClientRequest, lease: Lease): Promise<unknown> {
    const session = this.sessions.get(lease.owner.id);
    if (!session)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        'the client session that made the call is gone',
      );
    const capabilities = session.server.getClientCapabilities() ?? {};
    const options = { timeout: this.requestTimeoutMs };
    const forward = { method: request.method, params: request.params } as never;
    switch (request.method) {
      case 'sampling/createMessage': {
        if (capabilities.sampling)
          return lease.extra.mcpReq.send(forward, CreateMessageResultSchema, options);
        if (this.sampler) {
          const caller = callerFromAuth(lease.extra.http?.authInfo);
          return this.sampler(request.params as CreateMessageRequest['params'], caller);
        }
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `'${upstream.name}' asked for sampling, but the client does not support it and no llm server is mounted`,
        );
      }
      case 'elicitation/create':
        if (!capabilities.elicitation) {
          throw new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            `'${upstream.name}' asked for elicitation, but the client does not support it`,
          );
        }
        return lease.extra.mcpReq.send(forward, ElicitResultSchema, options);
      case 'roots/list':
        if (!capabilities.roots) {
          throw new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            `'${upstream.name}' asked for roots, but the client does not support them`,
          );
        }
        return lease.extra.mcpReq.send(forward, ListRootsResultSchema, options);
      default:
        throw new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          `unsupported server request ${request.method}`,
        );
    }
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.server.close()));
    await Promise.allSettled([...this.mounts.values()].map((m) => m.upstream.close()));
  }
}

export function toolScope(meta: Record<string, unknown> | undefined, fallback: RequiredScope): RequiredScope {
  const declared = meta?.[SCOPE_META_KEY];
  return declared === 'public' || declared === 'read' || declared === 'write' || declared === 'admin'
    ? declared
    : fallback;
}
