import type { z } from 'zod';
import type { Logger } from '../../lib/log.ts';
import type { Event } from '../../schemas/event.ts';
import type { AgentView, GetTaskStatsOutput } from '../../schemas/registry/tools.ts';
import type { GetInboxDepthsOutput } from '../../schemas/router/tools.ts';
import type { GetSandboxStatsOutput } from '../../schemas/sandbox/tools.ts';
import type { Aggregator } from '../aggregate/aggregator.ts';
import { qualifiedTool } from '../aggregate/tool-sets.ts';
import type { HubMetrics } from '../metrics.ts';
import type { Network } from './network.ts';
import { bucketDelta, histogramQuantile, ratePerSecond, type Buckets } from './window-stats.ts';

/** Seconds a rate is averaged over, and the latency window. */
const RATE_SECONDS = 5;
const LATENCY_SECONDS = 60;
/** One chart point every CHART_STEP seconds, an hour of them. */
const CHART_STEP = 10;
const CHART_POINTS = 360;
const EVENTS_KEPT = 200;
const AGENTS_MAX = 500;
const REVOKED_KEPT = 10_000;

/** Cumulative readings of the hub's counters at one second. */
interface Reading {
  at: number;
  messages: { sent: number; delivered: number; acked: number };
  rateLimited: number;
  /** `<server>\n<tool>` → calls and failed calls (errors and tool errors). */
  calls: Map<string, { calls: number; errors: number }>;
  latency: Map<string, Buckets>;
}

export interface ToolStats {
  name: string;
  /** `<server>__<tool>`, as /mcp lists it and as switches and virtual servers name it. */
  qualified: string;
  enabled: boolean;
  callsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Failed calls (errors and tool errors) since the hub started. */
  errors: number;
}

export interface ServerStats {
  name: string;
  state: string;
  enabled: boolean;
  target: string;
  era: string | null;
  restarts: number;
  lastError: string | null;
  callsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  errors: number;
  tools: ToolStats[];
}

export interface ChartPoint {
  at: number;
  sent: number;
  delivered: number;
  acked: number;
  calls: number;
  online: number;
}

/** The network as the console shows it at one moment: counts and states, never message content. */
export interface Snapshot {
  at: number;
  /** null when no registry is mounted or it did not answer. */
  agents: AgentView[] | null;
  /** Tasks by state with their re-dispatches; null without a registry. */
  tasks: z.infer<typeof GetTaskStatsOutput> | null;
  /** The fullest inboxes (counts only); null without a router. */
  inboxes: z.infer<typeof GetInboxDepthsOutput>['inboxes'] | null;
  servers: ServerStats[];
  messages: { sent: number; delivered: number; acked: number; totals: Reading['messages'] };
  rateLimited: { perSecond: number; total: number };
  sessions: number;
  events: Event[];
  /** The sandbox's pool and per-tool stats; 'none' when no sandbox is mounted, null when it did not answer. */
  sandbox: GetSandboxStatsOutput | 'none' | null;
  /** DIDs whose `identity.revoked` event this console has seen, with who revoked them and why. */
  revoked: ReadonlyMap<string, Revocation>;
}

export interface Revocation {
  by: string;
  reason: string | null;
}

async function counterByLabel(
  counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> },
  label: string,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { labels, value } of (await counter.get()).values) {
    const key = String(labels[label]);
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

async function read(metrics: HubMetrics, at: number): Promise<Reading> {
  const stages = await counterByLabel(metrics.messages, 'stage');
  const calls = new Map<string, { calls: number; errors: number }>();
  for (const { labels, value } of (await metrics.mcpRequests.get()).values) {
    if (labels.method !== 'tools/call') continue;
    const key = `${labels.server}\n${labels.tool}`;
    const entry = calls.get(key) ?? { calls: 0, errors: 0 };
    entry.calls += value;
    if (labels.outcome !== 'ok') entry.errors += value;
    calls.set(key, entry);
  }
  const latency = new Map<string, Map<number, number>>();
  for (const { labels, value, metricName } of (await metrics.mcpLatency.get()).values) {
    if (metricName !== 'plexus_mcp_request_duration_seconds_bucket' || labels.method !== 'tools/call')
      continue;
    const key = `${labels.server}\n${labels.tool}`;
    const buckets = latency.get(key) ?? new Map<number, number>();
    const le = (labels as Record<string, unknown>)['le'];
    buckets.set(le === '+Inf' ? Infinity : Number(le), value);
    latency.set(key, buckets);
  }
  const limited = (await metrics.rateLimited.get()).values[0]?.value ?? 0;
  return {
    at,
    messages: {
      sent: stages.get('sent') ?? 0,
      delivered: stages.get('delivered') ?? 0,
      acked: stages.get('acked') ?? 0,
    },
    rateLimited: limited,
    calls,
    latency,
  };
}

/** Merges several cumulative histograms (one server's tools) bucket by bucket. */
function sumBuckets(all: Iterable<Buckets>): Map<number, number> {
  const out = new Map<number, number>();
  for (const buckets of all) for (const [bound, n] of buckets) out.set(bound, (out.get(bound) ?? 0) + n);
  return out;
}

const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

/**
 * The console's live picture of the network: every second it reads the hub's own metrics and, while anyone
 * watches (and every CHART_STEP seconds for the charts), asks the registry for the agents and the router for
 * new events; each snapshot goes to every subscriber (the pages' event streams).
 */
export class LiveState {
  readonly #aggregator: Aggregator;
  readonly #metrics: HubMetrics;
  readonly #network: Network;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #readings: Reading[] = [];
  readonly #chart: ChartPoint[] = [];
  readonly #listeners = new Set<(snapshot: Snapshot) => void>();
  #events: Event[] = [];
  #eventCursor: string | null | undefined;
  readonly #revoked = new Map<string, Revocation>();
  #agents: AgentView[] | null = null;
  #tasks: Snapshot['tasks'] = null;
  #inboxes: Snapshot['inboxes'] = null;
  #sandbox: Snapshot['sandbox'] = 'none';
  #ticks = 0;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  latest: Snapshot | null = null;

  constructor(deps: {
    aggregator: Aggregator;
    metrics: HubMetrics;
    network: Network;
    log: Logger;
    now?: () => number;
  }) {
    this.#aggregator = deps.aggregator;
    this.#metrics = deps.metrics;
    this.#network = deps.network;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  start(): void {
    this.#timer = setInterval(() => void this.refresh(), 1000);
    this.#timer.unref();
    void this.refresh();
  }

  /** The last hour, one point every CHART_STEP seconds. */
  get chart(): readonly ChartPoint[] {
    return this.#chart;
  }

  /** Listens for snapshots; returns the remover. */
  subscribe(listener: (snapshot: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Takes a snapshot now and sends it round, one at a time; with `poll`, the registry and router are asked
   * afresh even if nobody watches (a page being rendered, an admin action just recorded).
   */
  refresh(poll = false): Promise<void> {
    if (this.#ticking) return this.#ticking.then(() => (poll ? this.refresh(true) : undefined));
    this.#ticking = this.#tick(poll)
      .catch((error: unknown) => this.#log.warn({ err: error }, 'console snapshot failed'))
      .finally(() => {
        this.#ticking = null;
      });
    return this.#ticking;
  }

  async #tick(poll: boolean): Promise<void> {
    const at = this.#now();
    const reading = await read(this.#metrics, at);
    this.#readings.push(reading);
    if (this.#readings.length > LATENCY_SECONDS + 1) this.#readings.shift();
    const chartDue = this.#ticks % CHART_STEP === 0;
    this.#ticks++;
    if (poll || this.#listeners.size > 0 || chartDue || this.latest === null) {
      await Promise.all([this.#pollAgents(), this.#pollEvents(), this.#pollCounts(), this.#pollSandbox()]);
    }
    const snapshot = this.#snapshot(reading);
    this.latest = snapshot;
    if (chartDue) {
      this.#chart.push({
        at,
        sent: snapshot.messages.sent,
        delivered: snapshot.messages.delivered,
        acked: snapshot.messages.acked,
        calls: snapshot.servers.reduce((sum, s) => sum + s.callsPerSecond, 0),
        online: snapshot.agents?.filter((a) => a.status === 'online').length ?? 0,
      });
      if (this.#chart.length > CHART_POINTS) this.#chart.shift();
    }
    for (const listener of this.#listeners) listener(snapshot);
  }

  async #pollAgents(): Promise<void> {
    const registry = this.#network.registry;
    if (!registry) {
      this.#agents = null;
      return;
    }
    try {
      const agents: AgentView[] = [];
      let cursor: string | undefined;
      do {
        const page = await registry.findAgents({ limit: 100, ...(cursor ? { cursor } : {}) });
        agents.push(...page.agents);
        cursor = page.cursor ?? undefined;
      } while (cursor && agents.length < AGENTS_MAX);
      this.#agents = agents;
    } catch (error) {
      this.#log.warn({ err: error }, 'console: the registry did not list the agents');
    }
  }

  async #pollCounts(): Promise<void> {
    const { registry, router } = this.#network;
    const [tasks, inboxes] = await Promise.allSettled([
      registry?.getTaskStats({}),
      router?.getInboxDepths({ limit: 20 }),
    ]);
    if (tasks.status === 'fulfilled') this.#tasks = tasks.value ?? null;
    else this.#log.warn({ err: tasks.reason }, 'console: the registry did not count the tasks');
    if (inboxes.status === 'fulfilled') this.#inboxes = inboxes.value?.inboxes ?? null;
    else this.#log.warn({ err: inboxes.reason }, 'console: the router did not count the inboxes');
  }

  async #pollSandbox(): Promise<void> {
    const sandbox = this.#network.sandbox;
    if (!sandbox) {
      this.#sandbox = 'none';
      return;
    }
    try {
      this.#sandbox = await sandbox.getSandboxStats({});
    } catch (error) {
      this.#sandbox = null;
      this.#log.warn({ err: error }, 'console: the sandbox did not give its stats');
    }
  }

  async #pollEvents(): Promise<void> {
    try {
      if (this.#eventCursor === undefined) {
        const recent = await this.#network.recentEvents();
        if (!recent) return;
        this.#events = recent.events;
        this.#eventCursor = recent.cursor;
        this.#learnRevoked(recent.events);
        return;
      }
      const router = this.#network.router;
      if (!router) return;
      let more = true;
      while (more) {
        const page = await router.fetchEvents({
          limit: 100,
          ...(this.#eventCursor ? { cursor: this.#eventCursor } : {}),
        });
        this.#events.push(...page.events);
        this.#eventCursor = page.cursor;
        this.#learnRevoked(page.events);
        more = page.more;
      }
      if (this.#events.length > EVENTS_KEPT) this.#events = this.#events.slice(-EVENTS_KEPT);
    } catch (error) {
      this.#log.warn({ err: error }, 'console: the router did not give the events');
    }
  }

  /** Revocations are final and rare: each one seen is kept (the newest REVOKED_KEPT). */
  #learnRevoked(events: readonly Event[]): void {
    for (const { type, subject, data } of events) {
      if (type !== 'identity.revoked') continue;
      const { revoked_by: by, reason } = data as { revoked_by?: unknown; reason?: unknown };
      this.#revoked.set(subject, {
        by: typeof by === 'string' ? by : subject,
        reason: typeof reason === 'string' ? reason : null,
      });
      if (this.#revoked.size > REVOKED_KEPT)
        this.#revoked.delete(this.#revoked.keys().next().value as string);
    }
  }

  #snapshot(now: Reading): Snapshot {
    const back = (seconds: number) =>
      this.#readings[Math.max(0, this.#readings.length - 1 - seconds)] as Reading;
    const rateBase = back(RATE_SECONDS);
    const span = Math.max(1, (now.at - rateBase.at) / 1000);
    const latencyBase = back(LATENCY_SECONDS);
    const rate = (newer: number, older: number) => (rateBase === now ? 0 : ratePerSecond(newer, older, span));
    const switches = this.#aggregator.switches;

    const servers: ServerStats[] = [...this.#aggregator.mounts.values()].map((mount) => {
      const upstream = mount.upstream;
      const keys: string[] = [];
      const tools = (upstream.catalog?.tools ?? []).map((tool): ToolStats => {
        const key = `${mount.name}\n${tool.name}`;
        keys.push(key);
        const calls = now.calls.get(key);
        const window = bucketDelta(now.latency.get(key) ?? new Map(), latencyBase.latency.get(key));
        const qualified = qualifiedTool(mount.name, tool.name);
        return {
          name: tool.name,
          qualified,
          enabled: !switches.tools.has(qualified),
          callsPerSecond: rate(calls?.calls ?? 0, rateBase.calls.get(key)?.calls ?? 0),
          p50Ms: ms(histogramQuantile(0.5, window)),
          p99Ms: ms(histogramQuantile(0.99, window)),
          errors: calls?.errors ?? 0,
        };
      });
      const window = bucketDelta(
        sumBuckets(keys.map((k) => now.latency.get(k) ?? new Map())),
        sumBuckets(keys.map((k) => latencyBase.latency.get(k) ?? new Map())),
      );
      return {
        name: mount.name,
        state: upstream.state,
        enabled: !switches.servers.has(mount.name),
        target: upstream.connector.target,
        era: upstream.era,
        restarts: upstream.restarts,
        lastError: upstream.lastError,
        callsPerSecond: tools.reduce((sum, t) => sum + t.callsPerSecond, 0),
        p50Ms: ms(histogramQuantile(0.5, window)),
        p99Ms: ms(histogramQuantile(0.99, window)),
        errors: tools.reduce((sum, t) => sum + t.errors, 0),
        tools,
      };
    });

    return {
      at: now.at,
      agents: this.#agents,
      tasks: this.#tasks,
      inboxes: this.#inboxes,
      servers,
      messages: {
        sent: rate(now.messages.sent, rateBase.messages.sent),
        delivered: rate(now.messages.delivered, rateBase.messages.delivered),
        acked: rate(now.messages.acked, rateBase.messages.acked),
        totals: now.messages,
      },
      rateLimited: { perSecond: rate(now.rateLimited, rateBase.rateLimited), total: now.rateLimited },
      sessions: this.#aggregator.sessions.size,
      events: this.#events.slice(-50).reverse(),
      sandbox: this.#sandbox,
      revoked: this.#revoked,
    };
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }
}
