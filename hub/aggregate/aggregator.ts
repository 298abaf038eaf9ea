import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type LoggingLevel,
  type LoggingMessageNotification,
  type Server,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import { hasScope, type Caller } from '../../lib/mcp/caller.ts';
import { Listeners, type ChangeFeed, type ListKind } from '../../lib/mcp/change-feed.ts';
import { SCOPE_META_KEY } from '../../lib/mcp/define-tool.ts';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import type { HubMetrics } from '../metrics.ts';
import type { Lease, ServerToClientRequest } from '../upstream/lease.ts';
import type { CatalogKind, Upstream, UpstreamEvents } from '../upstream/upstream.ts';
import { forwardedMeta, resourceMount } from './forwarding.ts';
import { CatalogConflictError, mergeCatalogs, type MergedCatalog, type MountedSource } from './merge.ts';
import { onlyTools, virtualName, withoutDisabled, type Switches } from './tool-sets.ts';

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
  /**
   * Whether its calls may become tasks the hub can follow (the Tasks extension): it says so, and the hub
   * speaks 2026-07-28 to it — 2025-11-25 has other tasks under the same method names.
   */
  get servesTasks(): boolean {
    return (
      this.upstream.era === 'modern' && this.catalog?.capabilities.extensions?.[TASKS_EXTENSION] !== undefined
    );
  }
}

/**
 * The view a client sees: everything (prefixed, `null`), one upstream (unprefixed, its mount name) or a
 * virtual server (`v/<name>`: chosen tools of the aggregate, under their aggregate names).
 */
export type ViewName = null | string;

/** What the aggregator keeps per 2025-era client session: small, the handlers are shared. */
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

/** Whether a log message at `level` goes to a client that asked for `wanted`. */
function logWanted(level: LoggingLevel, wanted: LoggingLevel | null | 'none'): boolean {
  if (wanted === 'none') return false;
  return wanted === null || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(wanted);
}

/**
 * The routing core of the hub: the mounted upstreams, the merged catalogs of each view, the open 2025-era
 * client sessions and 2026-07-28 listen streams, and the routing of upstream-initiated traffic to them.
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
  /** 2026-07-28 listen streams watching a resource, by owner id. */
  readonly #watchers = new Map<string, (upstream: Upstream, uri: string) => void>();
  readonly #listChanges = new Listeners<{ upstream: string | null; kinds: CatalogKind[] }>();
  readonly #feeds = new Map<ViewName, ChangeFeed>();
  /** Virtual servers: name → the aggregate tool names they serve. */
  #virtual = new Map<string, ReadonlySet<string>>();
  #switches: Switches = { servers: new Set(), tools: new Set() };

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
   * Takes a mounted server out: it leaves every view at once (their clients are told their lists changed),
   * the sessions opened on its own endpoint end, and its connection closes (a stdio server's process exits).
   */
  async remove(name: string): Promise<void> {
    const mount = this.mounts.get(name);
    if (!mount) return;
    this.mounts.delete(name);
    this.#joined.delete(name);
    this.#restartsCounted.delete(name);
    this.metrics.upstreamUp.remove({ server: name });
    this.rebuild(false);
    this.#announce(name, ['tools', 'prompts', 'resources']);
    const own = [...this.sessions.values()].filter((session) => session.view === name);
    for (const session of own) this.sessions.delete(session.id);
    await Promise.allSettled(own.map((session) => session.server.close()));
    await mount.upstream.close();
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
    const ordered = [...this.mounts.values()]
      .filter((mount) => !this.#switches.servers.has(mount.name))
      .sort((a, b) => rank(a) - rank(b));
    const { merged, problems } = mergeCatalogs(ordered, true);
    if (problems.length) {
      if (strict) throw new CatalogConflictError(problems);
      for (const problem of problems) this.#log.error({ problem }, 'catalog conflict; entry left out');
    }
    this.#merged = withoutDisabled(merged, this.#switches);
    this.#single.clear();
  }

  /** Whether a view exists: the aggregate, a mounted server or a virtual server. */
  hasView(view: ViewName): boolean {
    if (view === null) return true;
    const virtual = virtualName(view);
    return virtual === null ? this.mounts.has(view) : this.#virtual.has(virtual);
  }

  /** The one upstream a view serves, or null for the aggregate and virtual servers. */
  mountOf(view: ViewName): Mount | null {
    return view === null || virtualName(view) !== null ? null : (this.mounts.get(view) ?? null);
  }

  /** Replaces the virtual servers; their clients are told their tool lists changed. */
  setVirtualServers(servers: ReadonlyMap<string, ReadonlySet<string>>): void {
    this.#virtual = new Map(servers);
    this.#single.clear();
    this.#announce(null, ['tools']);
  }

  /** Replaces what is switched off; every client is told its tool list changed. */
  setSwitches(switches: Switches): void {
    this.#switches = switches;
    this.rebuild(false);
    this.#announce(null, ['tools']);
  }

  get virtualServers(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#virtual;
  }

  get switches(): Switches {
    return this.#switches;
  }

  /** The catalog a view serves. */
  view(view: ViewName): MergedCatalog<Mount> {
    if (view === null) {
      if (!this.#merged) this.rebuild(false);
      return this.#merged as MergedCatalog<Mount>;
    }
    let single = this.#single.get(view);
    if (!single) {
      const virtual = virtualName(view);
      const chosen = virtual === null ? undefined : this.#virtual.get(virtual);
      if (chosen) single = onlyTools(this.view(null), chosen);
      else {
        const mount = this.mounts.get(view);
        const on = mount && !this.#switches.servers.has(mount.name) ? [mount] : [];
        single = withoutDisabled(mergeCatalogs(on, false).merged, this.#switches);
      }
      this.#single.set(view, single);
    }
    return single;
  }

  /** The scope a request needs, for the gateway's early refusal (servers check again). */
  requiredScope(view: ViewName, method: string, name: unknown): RequiredScope | null {
    switch (method) {
      case 'tools/call': {
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
      case 'subscriptions/listen':
      case 'completion/complete':
        return 'read';
      // Being signed in is enough to ask: the task's server answers only for the caller's own tasks.
      case 'tasks/get':
      case 'tasks/update':
      case 'tasks/cancel':
        return null;
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

  /** Whether a change of `upstream` (null: of the hub's own switches) shows in `view`. */
  #viewing(view: ViewName, upstream: string | null): boolean {
    return view === null || upstream === null || view === upstream || virtualName(view) !== null;
  }

  /**
   * What changes in a view, for 2026-07-28 listen streams: the merged lists, and single resources — a watch
   * goes to the upstream serving the URI, which decides (for the caller named) whether it may be watched.
   */
  changeFeed(view: ViewName): ChangeFeed {
    let feed = this.#feeds.get(view);
    if (feed) return feed;
    feed = {
      lists: ['tools', 'prompts', 'resources'],
      resources: true,
      onListChanged: (listener: (kind: ListKind) => void) =>
        this.#listChanges.add(({ upstream, kinds }) => {
          if (this.#viewing(view, upstream)) for (const kind of kinds) listener(kind);
        }),
      watchResource: async (uri: string, caller: Caller, onUpdated: () => void) => {
        if (!hasScope(caller, 'read')) {
          throw new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            `watching ${uri} needs the 'read' scope`,
            {
              code: 'insufficient_scope',
            },
          );
        }
        const target = resourceMount(this, view, uri).upstream;
        const owner = `listen:${randomUUID()}`;
        await target.subscribe(owner, uri, forwardedMeta(undefined, caller));
        this.#watchers.set(owner, (upstream, changed) => {
          if (upstream === target && changed === uri) onUpdated();
        });
        return () => {
          this.#watchers.delete(owner);
          void target.unsubscribe(owner, uri).catch(() => {});
        };
      },
    };
    this.#feeds.set(view, feed);
    return feed;
  }

  /**
   * What an upstream may ask of `lease`'s client: what it declared, and sampling, which the hub answers. The
   * Tasks extension only as a 2026-07-28 client declared it: a 2025-era session never gets tasks.
   */
  capabilitiesFor(lease: Lease): ClientCapabilities {
    const { sampling, elicitation, roots, extensions } = lease.capabilities;
    const { [TASKS_EXTENSION]: tasks, ...others } = extensions ?? {};
    const declared = {
      ...others,
      ...(tasks !== undefined && lease.owner.era === 'modern' ? { [TASKS_EXTENSION]: tasks } : {}),
    };
    return {
      ...(sampling || this.sampler ? { sampling: sampling ?? {} } : {}),
      ...(elicitation ? { elicitation } : {}),
      ...(roots ? { roots } : {}),
      ...(Object.keys(declared).length ? { extensions: declared } : {}),
    };
  }

  /** Whether the client of `lease` said it can answer `request` itself. */
  clientCanAnswer(request: ServerToClientRequest, lease: Lease): boolean {
    switch (request.method) {
      case 'sampling/createMessage':
        return Boolean(lease.capabilities.sampling);
      case 'elicitation/create':
        return Boolean(lease.capabilities.elicitation);
      case 'roots/list':
        return Boolean(lease.capabilities.roots);
      default:
        return false;
    }
  }

  // ---- UpstreamEvents ----

  onCatalogChanged(upstream: Upstream, kinds: CatalogKind[]): void {
    this.rebuild(false);
    this.#announce(upstream.name, kinds);
  }

  /** Tells the clients of every view `upstream` shows in that these lists changed. */
  #announce(upstream: string | null, kinds: CatalogKind[]): void {
    for (const session of this.sessions.values()) {
      if (!this.#viewing(session.view, upstream)) continue;
      const server = session.server;
      if (kinds.includes('tools')) void server.sendToolListChanged().catch(() => {});
      if (kinds.includes('prompts')) void server.sendPromptListChanged().catch(() => {});
      if (kinds.includes('resources')) void server.sendResourceListChanged().catch(() => {});
    }
    this.#listChanges.emit({ upstream, kinds });
  }

  onResourceUpdated(upstream: Upstream, uri: string, subscribers: ReadonlySet<string>): void {
    for (const id of subscribers) {
      const session = this.sessions.get(id);
      if (session?.subscriptions.has(`${upstream.name}\n${uri}`)) {
        void session.server.sendResourceUpdated({ uri }).catch(() => {});
      }
      this.#watchers.get(id)?.(upstream, uri);
    }
  }

  onLog(upstream: Upstream, params: LoggingMessageNotification['params'], leases: Lease[]): void {
    if (leases.length) {
      // Sent on the stream of the call that caused it, to clients that asked for that level.
      for (const lease of leases) {
        if (logWanted(params.level, lease.logLevel))
          lease.notify({ method: 'notifications/message', params });
      }
      return;
    }
    for (const session of this.sessions.values()) {
      if (this.#viewing(session.view, upstream.name) && logWanted(params.level, session.logLevel)) {
        void session.server.sendLoggingMessage(params).catch(() => {});
      }
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

  /**
   * Something an upstream asks the client during a call — pushed by a 2025-era upstream, or an
   * `input_required` round of a 2026-07-28 one the hub fulfils: the client answers if it can; sampling falls
   * back to the llm server for clients that cannot.
   */
  async onServerRequest(upstream: Upstream, request: ServerToClientRequest, lease: Lease): Promise<unknown> {
    if (this.clientCanAnswer(request, lease)) return lease.ask(request);
    if (request.method === 'sampling/createMessage' && this.sampler) {
      return this.sampler(request.params as CreateMessageRequest['params'], lease.caller);
    }
    const what: Record<string, string> = {
      'sampling/createMessage': 'sampling, but the client does not support it and no llm server is mounted',
      'elicitation/create': 'elicitation, but the client does not support it',
      'roots/list': 'roots, but the client does not support them',
    };
    const reason = what[request.method];
    if (!reason)
      throw new ProtocolError(
        ProtocolErrorCode.MethodNotFound,
        `unsupported server request ${request.method}`,
      );
    throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `'${upstream.name}' asked for ${reason}`);
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
