import type http from 'node:http';
import { hostOriginProblem, jsonRpcError, type HostPolicy } from '../lib/mcp/http-guard.ts';
import type { Aggregator } from './aggregate/aggregator.ts';

export interface Readiness {
  ready: boolean;
  body: {
    status: 'starting' | 'ready' | 'degraded';
    upstreams: Record<string, { state: string; kind: string; error?: string }>;
  };
}

/** What `/readyz` says: ready only once started and with every upstream up; each upstream's state either way. */
export function readiness(aggregator: Aggregator, starting: boolean): Readiness {
  const mounts = [...aggregator.mounts.values()];
  const upstreams = Object.fromEntries(
    mounts.map((m) => [
      m.name,
      {
        state: m.upstream.state,
        kind: m.upstream.connector.kind,
        ...(m.upstream.lastError ? { error: m.upstream.lastError } : {}),
      },
    ]),
  );
  const ready = !starting && mounts.every((m) => m.upstream.state === 'ready');
  return { ready, body: { status: starting ? 'starting' : ready ? 'ready' : 'degraded', upstreams } };
}

/**
 * The hub's answers while its servers start: `/healthz` 200 (the process is alive), `/readyz` 503 with each
 * upstream's state so far, and 503 + Retry-After for everything else, MCP requests included.
 */
export function startingHandler(aggregator: Aggregator, hosts: HostPolicy): http.RequestListener {
  return (req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const problem = hostOriginProblem({ host: req.headers.host, origin: req.headers.origin }, hosts);
    if (problem) return json(403, jsonRpcError(-32000, `Forbidden: ${problem}`));
    const path = new URL(req.url ?? '/', 'http://hub').pathname;
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return json(503, readiness(aggregator, true).body);
    const message = 'the hub is starting: its servers are not mounted yet; retry shortly';
    json(
      503,
      path === '/mcp' || path.startsWith('/mcp/')
        ? jsonRpcError(-32000, message)
        : { error: 'temporarily_unavailable', error_description: message },
      { 'Retry-After': '1' },
    );
  };
}
