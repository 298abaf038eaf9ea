import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.ts';

/*
 * The checks every Plexus HTTP endpoint makes before MCP sees a request: Host and Origin against DNS
 * rebinding, and the bearer token's syntax; plus the bare JSON-RPC error body they answer with.
 */

export const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

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

type HostHeaders = { host?: string | undefined; origin?: string | undefined };

/**
 * Why a request must be refused against DNS rebinding, or null when it is fine: the Host header must name
 * this server, and an Origin header (sent by browsers) must be this server or an explicitly allowed one.
 */
export function hostOriginProblem(headers: HostHeaders, policy: HostPolicy): string | null {
  return hostOriginCheck(policy)(headers);
}

/** `hostOriginProblem` for one policy, its accepted names gathered once rather than on every request. */
function hostOriginCheck(policy: HostPolicy): (headers: HostHeaders) => string | null {
  const allowed = new Set([...LOOPBACK_NAMES, ...policy.hostnames.map((h) => h.toLowerCase())]);
  const anyOrigin = policy.origins.includes('*');
  return (headers) => {
    if (!headers.host) return 'missing Host header';
    if (!allowed.has(hostnameOf(headers.host))) return `Host '${headers.host}' is not served here`;
    const origin = headers.origin;
    if (origin === undefined) return null;
    if (anyOrigin || policy.origins.includes(origin)) return null;
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
  };
}

/**
 * Refuses a request against DNS rebinding (see `hostOriginProblem`): answers 403 and returns true, or returns
 * false having written nothing.
 */
export function hostOriginRefusal(policy: HostPolicy, log?: Logger) {
  const problemOf = hostOriginCheck(policy);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const problem = problemOf({ host: req.headers.host, origin: req.headers.origin });
    if (!problem) return false;
    log?.warn({ host: req.headers.host, origin: req.headers.origin }, 'refused request: %s', problem);
    sendJson(res, 403, jsonRpcError(-32000, `Forbidden: ${problem}`));
    return true;
  };
}

/** `hostOriginRefusal` as express middleware. */
export function hostOriginGuard(policy: HostPolicy, log?: Logger) {
  const refused = hostOriginRefusal(policy, log);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!refused(req, res)) next();
  };
}

/** A JSON answer, as express's `res.json` writes it (without the ETag no MCP client uses). */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** A request header's value when sent once (node joins repeats of most headers into one string). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
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
