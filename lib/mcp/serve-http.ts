import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { contextFrom } from '../telemetry/mcp-spans.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AuthInfo, Implementation } from '@modelcontextprotocol/server';
import type { Logger } from '../log.ts';
import { DELEGATE_SCOPE, callerOf } from './caller.ts';
import type { Component } from './component.ts';
import { LOOPBACK_NAMES, bearerToken, hostOriginGuard, jsonRpcError } from './http-guard.ts';
import { HttpSessions } from './http-sessions.ts';
import { authInfoFor } from './in-process.ts';
import { SERVICE_SCOPES } from './local-composition.ts';
import { classifyHttp, modernEndpoint } from './modern-endpoint.ts';

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
  /** How the server names itself where no server instance answers (closing a listen stream). */
  serverInfo?: Implementation;
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
 * The local user (lib/identity/local-user.ts) as the caller of a stdio server: their DID with every scope,
 * and the delegate scope, because the parent process is trusted and, when it is a hub, names the caller it
 * forwards for.
 */
export function localUserAuth(did: string): AuthInfo {
  return authInfoFor(did, [...SERVICE_SCOPES]);
}

/**
 * Serves a component over streamable HTTP at `<path>` (default `/mcp`), bound to 127.0.0.1 unless told
 * otherwise, with a bearer-token check and Host/Origin validation. Both protocol eras on one endpoint:
 * 2026-07-28 requests statelessly (a server instance per request), 2025-era clients in bounded sessions with
 * idle expiry. Shutting down closes every session and listen stream.
 */
export async function serveHttp(component: Component, options: ServeHttpOptions): Promise<HttpServing> {
  const host = options.host ?? '127.0.0.1';
  const mcpPath = options.path ?? '/mcp';
  const loopback = LOOPBACK_NAMES.includes(host);
  if (!options.verifyToken && !loopback) {
    throw new Error(`refusing to serve without authentication on non-loopback host '${host}'`);
  }
  const log = options.log;
  const bodyBytes = options.bodyBytes ?? 4 * 1024 * 1024;
  const sessions = new HttpSessions({
    createServer: () => component.createServer(),
    maxSessions: options.maxSessions ?? 1000,
    idleMs: (options.idleSeconds ?? 1800) * 1000,
    log,
  });
  const modern = modernEndpoint(() => component.createServer(), {
    changes: component.changes,
    serverInfo: options.serverInfo ?? { name: 'plexus', version: '0.1.0' },
    bodyBytes,
    log,
  });
  const app = express();
  app.disable('x-powered-by');
  const hostnames = [...(options.allowedHosts ?? [])];
  if (!loopback && host !== '0.0.0.0' && host !== '::') hostnames.push(host);
  app.use(hostOriginGuard({ hostnames, origins: options.allowedOrigins ?? [] }, log));
  app.use(express.json({ limit: bodyBytes }));
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
    const outcome = classifyHttp(req, req.body);
    if (outcome.kind === 'legacy') await sessions.handle(req, res, req.body, auth);
    else await modern.serve(req, res, req.body, auth, callerOf({ http: { authInfo: auth } }), outcome);
  };
  app.all(mcpPath, (req, res, next) => {
    // The trace context of the request's headers; a message's `_meta` may name a more specific one.
    context.with(contextFrom(req.headers), () => handler(req, res)).catch(next);
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
      await Promise.all([sessions.close(), modern.close()]);
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
