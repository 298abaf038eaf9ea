import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type NextFunction } from 'express';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.ts';
import type { Component } from './component.ts';
import { SERVICE_SCOPES } from './local-composition.ts';
import { authInfoFor } from './in-process.ts';
import { DELEGATE_SCOPE } from './caller.ts';

// ---- Host / Origin validation (DNS rebinding) -------------------------------------------------------------

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** The host name of a Host header value (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`). */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export interface HostPolicy {
  /** Host names accepted in the Host header (lower case; loopback names are always accepted). */
  hostnames: readonly string[];
  /** Browser origins accepted besides those whose host is an accepted host name; `*` accepts any. */
  origins: readonly string[];
}

/**
 * Why a request must be refused against DNS rebinding, or null when it is fine: the Host header must name
 * this server, and an Origin header (sent by browsers) must be this server or an explicitly allowed one.
 */
export function hostOriginProblem(
  headers: { host?: string | undefined; origin?: string | undefined },
  policy: HostPolicy,
): string | null {
  const allowed = new Set([...LOOPBACK_NAMES, ...policy.hostnames.map((h) => h.toLowerCase())]);
  if (!headers.host) return 'missing Host header';
  if (!allowed.has(hostnameOf(headers.host))) return `Host '${headers.host}' is not served here`;
  const origin = headers.origin;
  if (origin === undefined) return null;
  if (policy.origins.includes('*') || policy.origins.includes(origin)) return null;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return `Origin '${origin}' is not a valid origin`;
  }
  if (!allowed.has(parsed.hostname.toLowerCase()) && !allowed.has(`[${parsed.hostname}]`)) {
    return `Origin '${origin}' is not allowed`;
  }
  return null;
}

export function hostOriginGuard(policy: HostPolicy, log?: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const problem = hostOriginProblem({ host: req.headers.host, origin: req.headers.origin }, policy);
    if (!problem) return next();
    log?.warn({ host: req.headers.host, origin: req.headers.origin }, 'refused request: %s', problem);
    res.status(403).json(jsonRpcError(-32000, `Forbidden: ${problem}`));
  };
}

export function jsonRpcError(code: number, message: string, data?: unknown) {
  return {
    jsonrpc: '2.0' as const,
    error: { code, message, ...(data === undefined ? {} : { data }) },
    id: null,
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

// ---- Sessions ----------------------------------------------------------------------------------------------

interface SessionRecord {
  transport: StreamableHTTPServerTransport;
  server: McpServer | Server;
  /** The authenticated subject that opened the session; only it may use the session. */
  subject: string | null;
  /** Which endpoint the session belongs to (e.g. one per mounted server); '' when there is one. */
  partition: string;
  lastSeen: number;
  /** Open GET (SSE) streams: a session listening for notifications is not idle. */
  streams: number;
}

export interface HttpSessionsOptions {
  /** A fresh MCP server for a new session, told who opened it and at which endpoint. */
  createServer(auth: AuthInfo | undefined, partition: string): McpServer | Server;
  maxSessions: number;
  idleMs: number;
  log: Logger;
  now?: () => number;
  onSessionCount?(count: number): void;
  onSessionClosed?(sessionId: string): void;
}

/**
 * Stateful streamable HTTP sessions: one MCP server + transport per session, a bounded number of them, idle
 * ones expired by a periodic sweep, each bound to the subject that opened it.
 */
export class HttpSessions {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #options: HttpSessionsOptions;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: HttpSessionsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(options.idleMs / 2, 30_000)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Closes sessions idle longer than idleMs; returns how many. */
  sweep(): number {
    const cutoff = this.#now() - this.#options.idleMs;
    let closed = 0;
    for (const [id, record] of this.#sessions) {
      if (record.streams === 0 && record.lastSeen < cutoff) {
        this.#drop(id, record, 'idle');
        closed++;
      }
    }
    return closed;
  }

  #drop(id: string, record: SessionRecord, reason: string): void {
    if (!this.#sessions.delete(id)) return;
    this.#options.log.debug({ session: id, reason }, 'session closed');
    this.#options.onSessionCount?.(this.#sessions.size);
    this.#options.onSessionClosed?.(id);
    void record.transport.close().catch(() => {});
    void record.server.close().catch(() => {});
  }

  async handle(req: Request, res: Response, auth: AuthInfo | undefined, partition = ''): Promise<void> {
    if (this.#closed) {
      res.status(503).json(jsonRpcError(-32000, 'server is shutting down'));
      return;
    }
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const subject = auth?.clientId ?? null;
    if (auth) (req as Request & { auth?: AuthInfo }).auth = auth;
    if (sessionId) {
      const record = this.#sessions.get(sessionId);
      // A session opened by someone else looks exactly like an unknown one.
      if (!record || record.subject !== subject || record.partition !== partition) {
        res.status(404).json(jsonRpcError(-32001, 'Session not found'));
        return;
      }
      record.lastSeen = this.#now();
      if (req.method === 'GET') {
        record.streams++;
        res.on('close', () => {
          record.streams--;
          record.lastSeen = this.#now();
        });
      }
      await record.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !containsInitialize(req.body)) {
      res.status(400).json(jsonRpcError(-32000, 'Bad Request: no valid session id (send initialize first)'));
      return;
    }
    if (this.#sessions.size >= this.#options.maxSessions) this.sweep();
    if (this.#sessions.size >= this.#options.maxSessions) {
      res.setHeader('Retry-After', '30');
      res.status(503).json(jsonRpcError(-32000, `too many sessions (limit ${this.#options.maxSessions})`));
      return;
    }
    const server = this.#options.createServer(auth, partition);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { transport, server, subject, partition, lastSeen: this.#now(), streams: 0 });
        this.#options.onSessionCount?.(this.#sessions.size);
      },
      onsessionclosed: (id) => {
        const record = this.#sessions.get(id);
        if (record) this.#drop(id, record, 'deleted by client');
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      const record = id ? this.#sessions.get(id) : undefined;
      if (id && record) this.#drop(id, record, 'transport closed');
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    if (!transport.sessionId) {
      // Initialization failed (bad request): nothing to keep.
      await server.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const records = [...this.#sessions];
    this.#sessions.clear();
    await Promise.allSettled(
      records.flatMap(([id, r]) => {
        this.#options.onSessionClosed?.(id);
        return [r.transport.close(), r.server.close()];
      }),
    );
    this.#options.onSessionCount?.(0);
  }
}

function containsInitialize(body: unknown): boolean {
  if (Array.isArray(body)) return body.some((m) => isInitializeRequest(m));
  return isInitializeRequest(body);
}

// ---- Serving one component ---------------------------------------------------------------------------------

/** Checks a bearer token; throws (any error) when it is not acceptable. */
export type TokenVerifier = (token: string) => Promise<AuthInfo>;

export interface ServeHttpOptions {
  host?: string;
  port?: number;
  /** null = no authentication: loopback only, every caller is the local operator. */
  verifyToken: TokenVerifier | null;
  /** Extra host names accepted in the Host header. */
  allowedHosts?: string[];
  /** Browser origins allowed to call (CORS and Origin check). */
  allowedOrigins?: string[];
  maxSessions?: number;
  idleSeconds?: number;
  bodyBytes?: number;
  path?: string;
  log: Logger;
}

export interface HttpServing {
  url: string;
  sessions: HttpSessions;
  close(): Promise<void>;
}

/**
 * The trusted local operator: stdio and no-auth loopback serving act as the user who started the process.
 * With `delegate`, the peer may also name the caller it acts for (narrowing only): a hub running this
 * server as a stdio child does that, so tools see the hub's real caller.
 */
export function localOperatorAuth(options: { delegate?: boolean } = {}): AuthInfo {
  return authInfoFor(
    'operator:local',
    options.delegate ? [...SERVICE_SCOPES] : SERVICE_SCOPES.filter((s) => s !== DELEGATE_SCOPE),
  );
}

/**
 * Serves a component over streamable HTTP at `<path>` (default `/mcp`), bound to 127.0.0.1 unless told
 * otherwise, with a bearer-token check, Host/Origin validation, bounded sessions with idle expiry, and a
 * clean shutdown that closes every session.
 */
export async function serveHttp(component: Component, options: ServeHttpOptions): Promise<HttpServing> {
  const host = options.host ?? '127.0.0.1';
  const mcpPath = options.path ?? '/mcp';
  const loopback = LOOPBACK_NAMES.includes(host);
  if (!options.verifyToken && !loopback) {
    throw new Error(`refusing to serve without authentication on non-loopback host '${host}'`);
  }
  const log = options.log;
  const sessions = new HttpSessions({
    createServer: () => component.createServer(),
    maxSessions: options.maxSessions ?? 1000,
    idleMs: (options.idleSeconds ?? 1800) * 1000,
    log,
  });
  const app = express();
  app.disable('x-powered-by');
  const hostnames = [...(options.allowedHosts ?? [])];
  if (!loopback && host !== '0.0.0.0' && host !== '::') hostnames.push(host);
  app.use(hostOriginGuard({ hostnames, origins: options.allowedOrigins ?? [] }, log));
  app.use(express.json({ limit: options.bodyBytes ?? 4 * 1024 * 1024 }));
  const verify = options.verifyToken;
  const handler = async (req: Request, res: Response): Promise<void> => {
    let auth: AuthInfo;
    if (verify) {
      const token = bearerToken(req.headers.authorization);
      if (!token) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="plexus"');
        res.status(401).json(jsonRpcError(-32000, 'Unauthorized: missing bearer token'));
        return;
      }
      try {
        auth = await verify(token);
      } catch (error) {
        const reason = (error as Error).message.replace(/"/g, "'");
        res.setHeader(
          'WWW-Authenticate',
          `Bearer realm="plexus", error="invalid_token", error_description="${reason}"`,
        );
        res.status(401).json(jsonRpcError(-32000, `Unauthorized: ${reason}`));
        return;
      }
    } else {
      auth = localOperatorAuth();
    }
    await sessions.handle(req, res, auth);
  };
  app.all(mcpPath, (req, res, next) => {
    handler(req, res).catch(next);
  });
  app.use(
    (
      error: Error & { status?: number; type?: string },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (res.headersSent) return;
      if (error.type === 'entity.too.large')
        res.status(413).json(jsonRpcError(-32600, 'request body too large'));
      else if (error.type === 'entity.parse.failed')
        res.status(400).json(jsonRpcError(-32700, 'Parse error'));
      else {
        log.error({ err: error }, 'http handler failed');
        res.status(500).json(jsonRpcError(-32603, 'Internal error'));
      }
    },
  );
  const server = await listen(app, host, options.port ?? 0);
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}${mcpPath}`,
    sessions,
    async close() {
      await sessions.close();
      await closeServer(server);
    },
  };
}

export function listen(handler: http.RequestListener, host: string, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    // Longer than clients' pooled-connection idle time, so a reused socket is not closed under a request.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
