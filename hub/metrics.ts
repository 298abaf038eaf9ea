import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentCounts } from './agent-counts.ts';
import { RateWindow } from './rate-window.ts';

/** The hub's Prometheus metrics, on a registry of its own (several hubs can live in one test process). */
export class HubMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'plexus_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly mcpRequests = new Counter({
    name: 'plexus_mcp_requests_total',
    help: 'Forwarded MCP requests by upstream server, method, tool and outcome (ok, tool_error, error)',
    labelNames: ['server', 'method', 'tool', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly mcpLatency = new Histogram({
    name: 'plexus_mcp_request_duration_seconds',
    help: 'Forwarded MCP request latency by upstream server, method and tool',
    labelNames: ['server', 'method', 'tool'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly callsServed = new Counter({
    name: 'plexus_mcp_fast_calls_total',
    help: "2026-07-28 tools/call requests the hub answered itself, by path: in_place (a built-in server's tool called in place) or relay (bytes to a URL upstream); the rest go through the SDK",
    labelNames: ['path'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'plexus_errors_total',
    help: 'Errors by kind (auth, forbidden, upstream, internal)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly activeSessions = new Gauge({
    name: 'plexus_active_sessions',
    help: 'Open client MCP sessions',
    registers: [this.registry],
  });
  readonly messagesRouted = new Counter({
    name: 'plexus_messages_routed_total',
    help: 'Envelopes accepted by the router through the hub',
    registers: [this.registry],
  });
  readonly messages = new Counter({
    name: 'plexus_messages_total',
    help: 'Envelopes through the router by stage: sent (accepted), delivered (into inboxes), acked',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  /** Envelopes routed per second, as the mean of the last minute (for `plexus status`). */
  readonly messageRate = new RateWindow(60);
  readonly messagesPerSecond: Gauge = new Gauge({
    name: 'plexus_messages_per_second',
    help: 'Envelopes accepted by the router through the hub per second, averaged over the last minute',
    registers: [this.registry],
    // Worked out when scraped, so the gauge is current without a timer.
    collect: () => this.messagesPerSecond.set(this.messageRate.perSecond(Date.now())),
  });
  /** How the agents gauge counts when scraped (set once the registry is mounted). */
  #countAgents: (() => Promise<AgentCounts>) | null = null;
  readonly agents: Gauge<'status'> = new Gauge({
    name: 'plexus_agents',
    help: 'Registered agents by status (online, stale, offline), as the registry lists them when scraped',
    labelNames: ['status'] as const,
    registers: [this.registry],
    collect: async () => {
      // A registry that cannot answer now must not fail the whole scrape: the last figures stand.
      const counts = await this.#countAgents?.().catch(() => null);
      for (const [status, count] of Object.entries(counts ?? {})) this.agents.set({ status }, count);
    },
  });
  readonly rateLimited = new Counter({
    name: 'plexus_rate_limit_hits_total',
    help: 'Requests refused by the rate limiter',
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: 'plexus_upstream_up',
    help: '1 when the upstream is connected, else 0',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly upstreamRestarts = new Counter({
    name: 'plexus_upstream_restarts_total',
    help: 'Upstream reconnections after a loss',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });

  /** Counts `n` routed envelopes, in the total and in the rate. */
  messagesRoutedNow(n: number): void {
    this.messagesRouted.inc(n);
    this.messageRate.record(n, Date.now());
  }

  /** Counts agents with `count` at every scrape. */
  countAgentsWith(count: () => Promise<AgentCounts>): void {
    this.#countAgents = count;
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'plexus_' });
  }
}

/** Answers a Prometheus scrape with the registry's text. */
export function serveMetrics(metrics: HubMetrics) {
  return async (_req: unknown, res: ServerResponse): Promise<void> => {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text);
  };
}
