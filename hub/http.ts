import type http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AuthInfo, InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { Logger } from '../lib/log.ts';
import { hasScope } from '../lib/mcp/caller.ts';
import { context } from '@opentelemetry/api';
import { bearerToken, headerOf, hostOriginRefusal, jsonRpcError, sendJson } from '../lib/mcp/http-guard.ts';
import { contextFrom } from '../lib/telemetry/mcp-spans.ts';
import { HttpSessions } from '../lib/mcp/http-sessions.ts';
import { classifyHttp, modernEndpoint, type ModernEndpoint } from '../lib/mcp/modern-endpoint.ts';
import { localOperatorAuth, type TokenVerifier } from '../lib/mcp/serve-http.ts';
import { callerFromAuth, type Aggregator, type ViewName } from './aggregate/aggregator.ts';
import { InputRounds } from './aggregate/input-rounds.ts';
import { virtualName } from './aggregate/tool-sets.ts';
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
import { isPublicOAuthPath } from './oauth/router.ts';
import { HubResources } from './oauth/resources.ts';
import type { HubMetrics } from './metrics.ts';
import { readiness } from './readiness.ts';
import { corsAnswered } from './http/cors.ts';
import { readJsonBody } from './http/json-body.ts';
import { mcpRoute, pathnameOf, viewOf, type McpRoute } from './http/mcp-routes.ts';
import { requestId } from './http/request-id.ts';
import { logWhenFinished } from './http/request-log.ts';

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
  /** Every request: the MCP endpoints served here, anything else by the express app. */
  listener: http.RequestListener;
  sessions: HttpSessions;
  /** Closes every session and listen stream. */
  close(): Promise<void>;
}

type RequestWithId = Request & { id?: string };

/**
 * The hub's HTTP surface: health and metrics, OAuth metadata and token endpoint, and the MCP endpoints
 * `/mcp` (everything, prefixed) and `/mcp/<server>` (one server, unprefixed) behind the gateway checks in
 * this order: Host/Origin, CORS, body limit, bearer token, rate limit, per-request scope. The MCP endpoints
 * are served by a node:http listener of their own in front of express (whose router, middleware and body
 * parser cost every call time), with the same checks as the express app's requests.
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

  const guard = hostOriginRefusal({ hostnames: options.hostnames, origins: options.corsOrigins }, log);
  // The public OAuth endpoints are meant to be called from any web origin (browser-based clients discover
  // and get tokens from their own pages); the Host check still applies to them.
  const publicGuard = hostOriginRefusal({ hostnames: options.hostnames, origins: ['*'] }, log);
  const requestLog = { metrics, log, mounted: (name: string) => aggregator.mounts.has(name) };

  /**
   * What every request goes through first: its id (and, when answered, its metric and log line), the
   * Host/Origin check, CORS. Returns the id, or null when the request has been answered.
   */
  function admitted(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    refused = guard,
  ): string | null {
    const id = requestId(req, res);
    logWhenFinished(req, res, id, path, requestLog);
    if (refused(req, res) || corsAnswered(req, res, options.corsOrigins)) return null;
    return id;
  }

  const tooLarge = (res: http.ServerResponse) =>
    sendJson(res, 413, jsonRpcError(-32600, `request body larger than ${options.bodyBytes} bytes`));
  const notJson = (res: http.ServerResponse) =>
    sendJson(res, 400, jsonRpcError(-32700, 'Parse error: body is not valid JSON'));

  /** A request that failed: a body error as its status says, anything else 500 (logged, never detailed). */
  function failed(error: unknown, res: http.ServerResponse, id: string | undefined): void {
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    const type = (error as { type?: unknown } | null)?.type;
    if (type === 'entity.too.large') return tooLarge(res);
    if (type === 'entity.parse.failed') return notJson(res);
    metrics.errors.inc({ kind: 'internal' });
    log.child({ reqId: id }).error({ err: error }, 'request failed');
    sendJson(res, 500, jsonRpcError(-32603, 'Internal error'));
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use((req: RequestWithId, res, next) => {
    const id = admitted(req, res, req.path, isPublicOAuthPath(req.path) ? publicGuard : guard);
    if (id === null) return;
    req.id = id;
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

  function unauthorized(res: http.ServerResponse, view: ViewName, description: string | null): void {
    metrics.errors.inc({ kind: 'auth' });
    const error = description ? `, error="invalid_token", error_description="${description}"` : '';
    sendJson(
      res,
      401,
      jsonRpcError(
        -32001,
        description ? `Unauthorized: ${description}` : 'Unauthorized: bearer token required',
      ),
      { 'WWW-Authenticate': `Bearer resource_metadata="${resources.metadataUrl(view)}"${error}` },
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

  async function authenticate(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    view: ViewName,
  ): Promise<AuthInfo | null> {
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
    res: http.ServerResponse,
    view: ViewName,
    auth: AuthInfo,
    short: GatewayRequest & { needed: string },
  ): void {
    metrics.errors.inc({ kind: 'forbidden' });
    const what = short.method === 'tools/call' ? `tool '${String(short.name)}'` : short.method;
    const description = `${what} needs the '${short.needed}' scope`;
    const body = {
      jsonrpc: '2.0',
      id: short.id,
      error: {
        code: -32003,
        message: `Forbidden: ${description}; ${auth.clientId} has [${auth.scopes.join(', ')}]`,
        data: { code: 'insufficient_scope', scope: short.needed },
      },
    };
    sendJson(res, 403, body, {
      'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${short.needed}", resource_metadata="${resources.metadataUrl(view)}", error_description="${description}"`,
    });
  }

  /**
   * One MCP request: checked by the gateway (token, rate limit — one token per JSON-RPC message, a batch
   * costs its length —, scope), then served in its era: 2025-era traffic by the view's sessions, 2026-07-28
   * requests statelessly, routed by their validated `Mcp-Method` / `Mcp-Name`.
   */
  const inFlight = new InFlight(options.maxInFlightPerIdentity);

  /** One MCP request, its body as parsed (undefined when none was). */
  async function mcp(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    view: ViewName,
    body: unknown,
  ): Promise<void> {
    if (!aggregator.hasView(view)) {
      const what = virtualName(view) === null ? 'server' : 'virtual server';
      const message = `no ${what} named '${virtualName(view) ?? view}' is served here`;
      sendJson(res, 404, jsonRpcError(-32601, message));
      return;
    }
    const auth = await authenticate(req, res, view);
    if (!auth) return;
    if (req.method === 'POST' && nestedDeeperThan(body, options.maxJsonDepth)) {
      const message = `Invalid params: the request nests deeper than ${options.maxJsonDepth} levels (the hub's limits.maxJsonDepth)`;
      sendJson(res, 400, jsonRpcError(-32602, message));
      return;
    }
    const outcome: InboundClassificationOutcome = classifyHttp(req, body);
    const requests =
      req.method === 'POST'
        ? gatewayRequests(
            outcome,
            { method: headerOf(req, 'mcp-method'), name: headerOf(req, 'mcp-name') },
            body,
          )
        : [];
    const decision = await options.limiter.take(`id:${auth.clientId}`, Math.max(1, requests.length));
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      const message = `rate limit exceeded for ${auth.clientId}; retry in ${decision.retryAfterSeconds}s`;
      sendJson(res, 429, jsonRpcError(-32000, message), {
        'Retry-After': String(decision.retryAfterSeconds),
      });
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
        const message = `too many requests in flight for ${auth.clientId} (limit ${options.maxInFlightPerIdentity}); wait for some to finish`;
        sendJson(res, 429, jsonRpcError(-32000, message), { 'Retry-After': '1' });
        return;
      }
      res.once('close', end);
    }
    if (outcome.kind === 'legacy') {
      await sessions.handle(req, res, body, auth, view ?? '');
      return;
    }
    const call = { aggregator, rounds, view, req, res, auth, outcome };
    if (!(await relayCall(call)) && !(await inPlaceCall(call)))
      await modernFor(view).serve(req, res, body, auth, callerFromAuth(auth), outcome);
  }

  /** An MCP endpoint's request: its view, its body read and parsed, in the trace context of its headers. */
  async function serveMcp(req: http.IncomingMessage, res: http.ServerResponse, route: McpRoute) {
    const view = viewOf(route);
    const body = await readJsonBody(req, options.bodyBytes);
    if (body.kind === 'too-large') return tooLarge(res);
    if (body.kind === 'not-json') return notJson(res);
    const value = body.kind === 'json' ? body.value : undefined;
    // A message's `_meta` may name a more specific trace context than the headers.
    await context.with(contextFrom(req.headers), () => mcp(req, res, view, value));
  }

  const listener: http.RequestListener = (req, res) => {
    const path = pathnameOf(req.url ?? '/');
    const route = path === null ? null : mcpRoute(path);
    if (path === null || route === null) {
      app(req, res);
      return;
    }
    const id = admitted(req, res, path);
    if (id !== null) serveMcp(req, res, route).catch((error: unknown) => failed(error, res, id));
  };

  // ---- The authorization server (hub/oauth/): metadata, consent page, token, revocation, registration ----
  if (options.oauth) app.use(options.oauth.router);
  if (options.console) app.use(options.console);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });

  app.use((error: Error, req: RequestWithId, res: Response, _next: NextFunction) => {
    failed(error, res, req.id);
  });

  return {
    listener,
    sessions,
    async close() {
      await Promise.all([sessions.close(), ...[...modern.values()].map((endpoint) => endpoint.close())]);
    },
  };
}
