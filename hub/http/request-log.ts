import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { HubMetrics } from '../metrics.ts';
import { OAUTH_ROUTES } from '../oauth/router.ts';

export interface RequestLogOptions {
  metrics: HubMetrics;
  log: Logger;
  /** Whether a server of that name is mounted (others share one route label). */
  mounted: (name: string) => boolean;
}

/** When the answer is sent: the HTTP request metric, and at debug level one log line. */
export function logWhenFinished(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  path: string,
  options: RequestLogOptions,
): void {
  const started = performance.now();
  res.on('finish', () => {
    const route = routeLabel(path, options.mounted);
    options.metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
    // One line per request is for debugging: at info it would drown everything else a hub says.
    // A child logger per request only when it logs: making one is not free on the hot path.
    if (options.log.isLevelEnabled('debug')) {
      options.log.child({ reqId: id }).debug(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'http request',
      );
    }
  });
}

/** A bounded set of route labels (unknown server names must not grow the metric). */
function routeLabel(path: string, mounted: (name: string) => boolean): string {
  if (path === '/mcp') return path;
  if (path.startsWith('/mcp/v/')) return '/mcp/v';
  if (path.startsWith('/mcp/')) {
    const name = path.split('/')[2] ?? '';
    return mounted(name) ? `/mcp/${name}` : '/mcp/unknown';
  }
  if (path.startsWith('/.well-known/')) return '/.well-known';
  if (['/healthz', '/readyz', '/metrics'].includes(path) || OAUTH_ROUTES.includes(path)) return path;
  if (path === '/console' || path.startsWith('/console/')) return '/console';
  return 'other';
}
