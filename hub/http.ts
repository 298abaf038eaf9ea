import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AuthInfo, InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { Logger } from '../lib/log.ts';
import { hasScope } from '../lib/mcp/caller.ts';
import { context } from '@opentelemetry/api';
import { bearerToken, hostOriginGuard, jsonRpcError } from '../lib/mcp/http-guard.ts';
import { contextFrom } from '../lib/telemetry/mcp-spans.ts';
import { HttpSessions } from '../lib/mcp/http-sessions.ts';
import { classifyHttp, modernEndpoint, type ModernEndpoint } from '../lib/mcp/modern-endpoint.ts';
import { localOperatorAuth, type TokenVerifier } from '../lib/mcp/serve-http.ts';
import { callerFromAuth, type Aggregator, type ViewName } from './aggregate/aggregator.ts';
import { InputRounds } from './aggregate/input-rounds.ts';
import { virtualName, virtualView } from './aggregate/tool-sets.ts';
import { createRequestServer } from './aggregate/request-server.ts';
import { inPlaceCall } from './aggregate/in-place-call.ts';
import { relayCall } from './aggregate/relay-call.ts';
import { createSessionServer } from './aggregate/session-server.ts';
import { InFlight } from './gateway/in-flight.ts';
import { gatewayRequests, type GatewayRequest } from './gateway/requests.ts';
import { nestedDeeperThan } from '../lib/mcp/json-depth.ts';
import { serveMetrics } from './metrics.ts';
import { refusalReason } from './gateway/auth.ts';
import type { RateLimiter } from '../lib/rate-limit.ts';
import type { OAuthServer } from './oauth/router.ts';
import { isPublicOAuthPath, OAUTH_ROUTES } from './oauth/router.ts';
import { HubResources } from './oauth/resources.ts';
import type { HubMetrics } from './metrics.ts';
import { readiness } from './readiness.ts';

export interface HttpFrontOptions {
  aggregator: Aggregator;
  metrics: HubMetrics;
  log: Logger;
  /** The URL clients reach the hub at, without a trailing slash. */
  publicUrl: string;
  /** null = dev mode without authentication. */
  verifyToken: TokenVerifier | null;
  /** The authorization server; null in dev mode. */
  oauth: OAuthServer | null;
  /** The authority's own audiences: tokens bound to no resource, accepted at every one of this hub's. */
  unboundAudiences: readonly string[];
  limiter: RateLimiter;
  hostnames: string[];
  corsOrigins: string[];
  bodyBytes: number;
  maxSessions: number;
  maxSessionsPerIdentity: number;
  maxInFlightPerIdentity: number;
  maxJsonDepth: number;
  sessionIdleMs: number;
  /**
   * The key that signs the `requestState` 2026-07-28 clients echo; every replica a client's rounds may reach
   * needs the same one.
   */
  requestStateKey: Uint8Array;
  /** The web console (hub/console/), served at /console; null without an authorization server. */
  console: express.Router | null;
}

export interface HttpFront {
  app: express.Express;
  sessions: HttpSessions;
  /** Closes every session and listen stream. */
  close(): Promise<void>;
}

type RequestWithId = Request & { id?: string };

const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID, X-Request-Id, traceparent, tracestate, baggage';
const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, WWW-Authenticate, Retry-After, X-Request-Id';

/**
 * The hub's HTTP surface: health and metrics, OAuth metadata and token endpoint, and the MCP endpoints
 * `/mcp` (everything, prefixed) and `/mcp/<server>` (one server, unprefixed) behind the gateway checks in
 * this order: Host/Origin, CORS, body limit, bearer token, rate limit, per-request scope.
 */
export function createHttpFront(options: HttpFrontOptions): HttpFront {
  const { aggregator, metrics, log, publicUrl } = options;
  const resources =
    options.oauth?.resources ?? new HubResources(publicUrl, (name) => aggregator.mounts.has(name));
  const sessions = new HttpSessions({
    createServer: (_auth, partition) => createSessionServer(aggregator, partition === '' ? null : partition),
    maxSessions: options.maxSessions,
    maxPerSubject: options.maxSessionsPerIdentity,
    idleMs: options.sessionIdleMs,
    log,
    onSessionCount: (count) => metrics.activeSessions.set(count),
  });
  const rounds = new InputRounds({ key: options.requestStateKey, ttlSeconds: 600 });
  const modern = new Map<ViewName, ModernEndpoint>();
  /** The 2026-07-28 side of a view's endpoint, made on first use (views are fixed once the hub runs). */
  const modernFor = (view: ViewName): ModernEndpoint => {
    let endpoint = modern.get(view);
    if (!endpoint) {
      endpoint = modernEndpoint(() => createRequestServer(aggregator, view, rounds), {
        changes: aggregator.changeFeed(view),
        serverInfo: { name: view === null ? 'plexus-hub' : `plexus-hub/${view}`, version: '0.1.0' },
        bodyBytes: options.bodyBytes,
        log,
      });
      modern.set(view, endpoint);
    }
    return endpoint;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  // Request ids: taken from a sane incoming header or made up; echoed back and in every log line.
  app.use((req: RequestWithId, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const started = performance.now();
    res.on('finish', () => {
      const route = routeLabel(req.path, (name) => aggregator.mounts.has(name));
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      // One line per request is for debugging: at info it would drown everything else a hub says.
      // A child logger per request only when it logs: making one is not free on the hot path.
      if (log.isLevelEnabled('debug')) {
        log.child({ reqId: id }).debug(
          {
            method: req.method,
            path: req.path,
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'http request',
        );
      }
    });
    next();
  });

  const guard = hostOriginGuard({ hostnames: options.hostnames, origins: options.corsOrigins }, log);
  // The public OAuth endpoints are meant to be called from any web origin (browser-based clients discover
  // and get tokens from their own pages); the Host check still applies to them.
  const hostGuard = hostOriginGuard({ hostnames: options.hostnames, origins: ['*'] }, log);
  app.use((req, res, next) => (isPublicOAuthPath(req.path) ? hostGuard : guard)(req, res, next));

  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (options.corsOrigins.includes('*') || options.corsOrigins.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', options.corsOrigins.includes('*') ? '*' : origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const { ready, body } = readiness(aggregator, false);
    res.status(ready ? 200 : 503).json(body);
  });

  // Metrics name every server, tool and rate: on this port only for the operator.
  app.get('/metrics', (req, res, next) => {
    authenticate(req, res, null)
      .then(async (auth) => {
        if (!auth) return;
        if (!hasScope(callerFromAuth(auth), 'admin')) {
          forbidden(res, null, auth, { method: '/metrics', name: undefined, id: null, needed: 'admin' });
          return;
        }
        await serveMetrics(metrics)(req, res);
      })
      .catch(next);
  });

  // ---- MCP endpoints ----

  const mcpJson = express.json({
    limit: options.bodyBytes,
    type: ['application/json', 'application/*+json'],
  });

  function unauthorized(res: Response, view: ViewName, description: string | null): void {
    metrics.errors.inc({ kind: 'auth' });
    const error = description ? `, error="invalid_token", error_description="${description}"` : '';
    res.setHeader('WWW-Authenticate', `Bearer resource_metadata="${resources.metadataUrl(view)}"${error}`);
    res
      .status(401)
      .json(
        jsonRpcError(
          -32001,
          description ? `Unauthorized: ${description}` : 'Unauthorized: bearer token required',
        ),
      );
  }

  /** Whether a token may be used here: bound to no resource, or to this very one (RFC 8707). */
  function audienceProblem(auth: AuthInfo, view: ViewName): string | null {
    const audience = auth.extra?.['audience'] as string[] | undefined;
    if (!audience || audience.some((aud) => options.unboundAudiences.includes(aud))) return null;
    const resource = resources.of(view);
    return audience.includes(resource)
      ? null
      : `the token was issued for ${audience.join(', ')}, not ${resource}`;
  }

  async function authenticate(req: Request, res: Response, view: ViewName): Promise<AuthInfo | null> {
    if (!options.verifyToken) return localOperatorAuth();
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      unauthorized(res, view, null);
      return null;
    }
    let auth: AuthInfo;
    try {
      auth = await options.verifyToken(token);
    } catch (error) {
      unauthorized(res, view, refusalReason(error));
      return null;
    }
    const problem = audienceProblem(auth, view);
    if (problem) {
      unauthorized(res, view, problem);
      return null;
    }
    return auth;
  }

  /** The first request the caller's scopes do not cover, with the scope it needs. */
  function scopeShortfall(view: ViewName, auth: AuthInfo, requests: GatewayRequest[]) {
    for (const request of requests) {
      const needed = aggregator.requiredScope(view, request.method, request.name);
      if (!needed || needed === 'public') continue;
      if (!hasScope(callerFromAuth(auth), needed)) return { needed, ...request };
    }
    return null;
  }

  function forbidden(
    res: Response,
    view: ViewName,
    auth: AuthInfo,
    short: GatewayRequest & { needed: string },
  ): void {
    metrics.errors.inc({ kind: 'forbidden' });
    const what = short.method === 'tools/call' ? `tool '${String(short.name)}'` : short.method;
    const description = `${what} needs the '${short.needed}' scope`;
    res.setHeader(
      'WWW-Authenticate',
      `Bearer error="insufficient_scope", scope="${short.needed}", resource_metadata="${resources.metadataUrl(view)}", error_description="${description}"`,
    );
    res.status(403).json({
      jsonrpc: '2.0',
      id: short.id,
      error: {
        code: -32003,
        message: `Forbidden: ${description}; ${auth.clientId} has [${auth.scopes.join(', ')}]`,
        data: { code: 'insufficient_scope', scope: short.needed },
      },
    });
  }

  /**
   * One MCP request: checked by the gateway (token, rate limit — one token per JSON-RPC message, a batch
   * costs its length —, scope), then served in its era: 2025-era traffic by the view's sessions, 2026-07-28
   * requests statelessly, routed by their validated `Mcp-Method` / `Mcp-Name`.
   */
  const inFlight = new InFlight(options.maxInFlightPerIdentity);

  async function mcp(req: RequestWithId, res: Response, view: ViewName): Promise<void> {
    if (!aggregator.hasView(view)) {
      const what = virtualName(view) === null ? 'server' : 'virtual server';
      res
        .status(404)
        .json(jsonRpcError(-32601, `no ${what} named '${virtualName(view) ?? view}' is served here`));
      return;
    }
    const auth = await authenticate(req, res, view);
    if (!auth) return;
    if (req.method === 'POST' && nestedDeeperThan(req.body, options.maxJsonDepth)) {
      res
        .status(400)
        .json(
          jsonRpcError(
            -32602,
            `Invalid params: the request nests deeper than ${options.maxJsonDepth} levels (the hub's limits.maxJsonDepth)`,
          ),
        );
      return;
    }
    const outcome: InboundClassificationOutcome = classifyHttp(req);
    const requests =
      req.method === 'POST'
        ? gatewayRequests(outcome, { method: req.get('mcp-method'), name: req.get('mcp-name') }, req.body)
        : [];
    const decision = await options.limiter.take(`id:${auth.clientId}`, Math.max(1, requests.length));
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      res
        .status(429)
        .json(
          jsonRpcError(
            -32000,
            `rate limit exceeded for ${auth.clientId}; retry in ${decision.retryAfterSeconds}s`,
          ),
        );
      return;
    }
    const short = scopeShortfall(view, auth, requests);
    if (short) {
      forbidden(res, view, auth, short);
      return;
    }
    if (requests.some((r) => r.method !== 'subscriptions/listen' && r.id !== null)) {
      const end = inFlight.begin(auth.clientId);
      if (!end) {
        metrics.rateLimited.inc();
        res.setHeader('Retry-After', '1');
        res
          .status(429)
          .json(
            jsonRpcError(
              -32000,
              `too many requests in flight for ${auth.clientId} (limit ${options.maxInFlightPerIdentity}); wait for some to finish`,
            ),
          );
        return;
      }
      res.once('close', end);
    }
    if (outcome.kind === 'legacy') await sessions.handle(req, res, auth, view ?? '');
    else if (
      !(await relayCall(aggregator, rounds, view, req, res, auth, outcome)) &&
      !(await inPlaceCall(aggregator, rounds, view, req, res, auth, outcome))
    )
      await modernFor(view).serve(req, res, auth, callerFromAuth(auth), outcome);
  }

  // A request's trace context comes in its headers (and, more specific, in each message's `_meta`).
  const run = (view: (req: Request) => ViewName) => (req: Request, res: Response, next: NextFunction) => {
    context.with(contextFrom(req.headers), () => mcp(req, res, view(req))).catch(next);
  };
  app.all(
    '/mcp',
    mcpJson,
    run(() => null),
  );
  app.all(
    '/mcp/:server',
    mcpJson,
    run((req) => String(req.params['server'])),
  );
  app.all(
    '/mcp/v/:name',
    mcpJson,
    run((req) => virtualView(String(req.params['name']))),
  );

  // ---- The authorization server (hub/oauth/): metadata, consent page, token, revocation, registration ----
  // After the MCP endpoints, so that no MCP request walks their routes.
  if (options.oauth) app.use(options.oauth.router);
  if (options.console) app.use(options.console);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });

  app.use((error: Error & { type?: string }, req: RequestWithId, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error.type === 'entity.too.large') {
      res.status(413).json(jsonRpcError(-32600, `request body larger than ${options.bodyBytes} bytes`));
      return;
    }
    if (error.type === 'entity.parse.failed') {
      res.status(400).json(jsonRpcError(-32700, 'Parse error: body is not valid JSON'));
      return;
    }
    metrics.errors.inc({ kind: 'internal' });
    log.child({ reqId: req.id }).error({ err: error }, 'request failed');
    res.status(500).json(jsonRpcError(-32603, 'Internal error'));
  });

  return {
    app,
    sessions,
    async close() {
      await Promise.all([sessions.close(), ...[...modern.values()].map((endpoint) => endpoint.close())]);
    },
  };
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
