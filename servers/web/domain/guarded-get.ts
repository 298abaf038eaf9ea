import http from 'node:http';
import https from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { PlexusError } from '../../../lib/errors.ts';
import {
  hostAllowed,
  pinnedLookup,
  resolveAllowed,
  type AddressPolicy,
  type Lookup,
} from '../../../lib/net/address-guard.ts';

export interface GuardedGetOptions extends AddressPolicy {
  allowHosts: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  userAgent: string;
  lookup?: Lookup;
  signal?: AbortSignal;
}

export interface GuardedResponse {
  finalUrl: string;
  status: number;
  contentType: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
}

function decoded(stream: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return stream.pipe(createGunzip());
    case 'deflate':
      return stream.pipe(createInflate());
    case 'br':
      return stream.pipe(createBrotliDecompress());
    default:
      return stream;
  }
}

async function getOnce(url: URL, options: GuardedGetOptions): Promise<http.IncomingMessage> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (options.allowHosts.length > 0 && !hostAllowed(url.hostname, port, options.allowHosts)) {
    throw new PlexusError(
      'forbidden',
      'host_not_allowed',
      `${url.hostname}:${port} is not in the allowed hosts`,
    );
  }
  const address = await resolveAllowed(url.hostname, options, options.lookup);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, {
      lookup: pinnedLookup(address),
      headers: { 'user-agent': options.userAgent, 'accept-encoding': 'gzip, deflate, br', accept: '*/*' },
      timeout: options.timeoutMs,
      signal: options.signal,
    });
    request.on('response', resolve);
    request.on('timeout', () =>
      request.destroy(
        new PlexusError(
          'unavailable',
          'fetch_timeout',
          `${url.host} did not answer in ${options.timeoutMs} ms`,
        ),
      ),
    );
    request.on('error', reject);
  });
}

/** GET with the address guard applied to the first URL and every redirect, a size cap and a deadline. */
export async function guardedGet(target: string, options: GuardedGetOptions): Promise<GuardedResponse> {
  let url = new URL(target);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PlexusError('forbidden', 'scheme_not_allowed', `${url.protocol} URLs cannot be fetched`);
    }
    const response = await getOnce(url, options).catch((error: unknown) => {
      if (error instanceof PlexusError) throw error;
      throw new PlexusError('unavailable', 'fetch_failed', `${url.host}: ${(error as Error).message}`);
    });
    const location = response.headers.location;
    if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
      response.resume();
      if (hop >= options.maxRedirects) {
        throw new PlexusError('limit', 'too_many_redirects', `more than ${options.maxRedirects} redirects`);
      }
      url = new URL(location, url);
      continue;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const body = decoded(response, response.headers['content-encoding']);
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = options.maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        truncated = true;
        response.destroy();
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return {
      finalUrl: url.toString(),
      status: response.statusCode ?? 0,
      contentType: response.headers['content-type'] ?? '',
      headers: response.headers,
      body: Buffer.concat(chunks),
      truncated,
    };
  }
}
