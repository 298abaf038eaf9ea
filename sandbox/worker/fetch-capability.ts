import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { pinnedLookup } from '../../lib/net/address-guard.ts';
import type { Grant } from '../permissions.ts';
import {
  addressAllowed,
  classifyAddress,
  formatHostPort,
  netEntryMatches,
  normalizeHost,
} from '../policy/net.ts';
import { CapabilityError, PermissionDenied, narrowedNote } from './denied.ts';

export type Resolver = (host: string) => Promise<string[]>;

/** DNS through the system resolver, with static answers (`hosts`) consulted first. */
export function makeResolver(hosts: Record<string, string[]>): Resolver {
  return async (host) => {
    const fixed = hosts[host];
    if (fixed) return fixed;
    try {
      const answers = await lookup(host, { all: true, verbatim: true });
      return answers.map((a) => a.address);
    } catch {
      throw new CapabilityError(`fetch: cannot resolve ${host}`);
    }
  };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const MAX_HEADERS = 64;
const MAX_BODY_OUT = 1024 * 1024;

export interface FetchResult {
  url: string;
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
}

function parseInit(init: unknown): { method: string; headers: Record<string, string>; body?: string } {
  if (typeof init !== 'object' || init === null) throw new CapabilityError('fetch: init must be an object');
  const { method = 'GET', headers = {}, body } = init as Record<string, unknown>;
  if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase())) {
    throw new CapabilityError(`fetch: method must be one of ${METHODS.join(', ')}`);
  }
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new CapabilityError('fetch: headers must be an object of strings');
  }
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) throw new CapabilityError(`fetch: at most ${MAX_HEADERS} headers`);
  const clean: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'string') throw new CapabilityError(`fetch: header ${name} must be a string`);
    const lower = name.toLowerCase();
    // The host header is ours to set from the checked URL.
    if (lower === 'host') continue;
    clean[lower] = value;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new CapabilityError('fetch: body must be a string');
  }
  if (typeof body === 'string' && Buffer.byteLength(body) > MAX_BODY_OUT) {
    throw new CapabilityError(`fetch: body larger than ${MAX_BODY_OUT} bytes`);
  }
  return { method: method.toUpperCase(), headers: clean, ...(typeof body === 'string' ? { body } : {}) };
}

/**
 * The sandbox's fetch: the URL's host:port must match a granted entry, and every address the name resolves
 * to must be public (or granted as that exact address and port) BEFORE any connection is made. The connection goes to
 * the checked address (no second lookup, so DNS rebinding cannot swap it), redirects are not followed, and
 * the response is capped in size and time.
 */
export async function sandboxFetch(
  grant: Grant,
  arg: { url?: unknown; init?: unknown },
  resolve: Resolver,
  limits: FetchLimits,
): Promise<FetchResult> {
  let url: URL;
  try {
    url = new URL(String(arg.url));
  } catch {
    throw new CapabilityError(`fetch: not a valid URL: ${String(arg.url).slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CapabilityError(`fetch: only http and https URLs, not ${url.protocol}`);
  }
  if (url.username || url.password)
    throw new CapabilityError('fetch: credentials in the URL are not allowed');
  const init = parseInit(arg.init);
  const host = normalizeHost(url.hostname);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const permission = `net ${host}:${port}`;
  if (!grant.net.some((entry) => netEntryMatches(entry, host, port))) {
    throw new PermissionDenied(
      permission,
      `not in the granted hosts [${grant.net.join(', ')}]${narrowedNote(grant.narrowed, 'net')}`,
    );
  }
  const addresses = isIP(host) ? [host] : await resolve(host);
  if (addresses.length === 0) throw new CapabilityError(`fetch: ${host} has no addresses`);
  for (const address of addresses) {
    if (!addressAllowed(address, port, grant.net)) {
      throw new PermissionDenied(
        permission,
        `${host} resolves to ${address} (${classifyAddress(address)} address) and ${formatHostPort(address, port)} ` +
          'is not granted; a non-public address is reached only when that exact address and port are granted',
      );
    }
  }
  const pinned = pinnedLookup(addresses[0] as string);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<FetchResult>((resolvePromise, reject) => {
    const request = client.request(
      url,
      {
        method: init.method,
        headers: init.headers,
        lookup: pinned,
        signal: limits.signal,
        timeout: limits.timeoutMs,
        ...(url.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            request.destroy(new CapabilityError(`fetch: response larger than ${limits.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', reject);
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolvePromise({
            url: url.href,
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(
      () => request.destroy(new CapabilityError(`fetch: no complete response within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    request.on('close', () => clearTimeout(timer));
    request.on('timeout', () => request.destroy(new CapabilityError('fetch: connection idle too long')));
    request.on('error', (error) =>
      reject(error instanceof CapabilityError ? error : new CapabilityError(`fetch: ${error.message}`)),
    );
    request.end(init.body);
  });
}
