import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { PlexusError } from '../errors.ts';
import { SERVICE_SCOPES } from '../mcp/local-composition.ts';

/**
 * The shared service token of a scaled-out deployment (`PLEXUS_SERVICE_TOKEN`): the hub replicas and the
 * servers they mount by URL hold the same secret, and a server accepts it as the `service:hub` principal with
 * the delegate scope, so the hub can name the real caller of each request (which can only narrow scopes).
 * It never leaves the private network: only the hub is published, and clients never see it.
 */
export const SERVICE_TOKEN_ENV = 'PLEXUS_SERVICE_TOKEN';
export const SERVICE_SUBJECT = 'service:hub';
const MIN_LENGTH = 32;

/** The configured token, checked for strength; undefined when unset. */
export function serviceTokenFrom(value: string | undefined, field = SERVICE_TOKEN_ENV): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_LENGTH || !/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new PlexusError(
      'invalid',
      'invalid_config',
      `${field}: must be at least ${MIN_LENGTH} characters of a bearer token (e.g. \`openssl rand -base64 48\`)`,
      { field },
    );
  }
  return value;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Whether `presented` is the service token, compared in constant time. */
export function isServiceToken(presented: string, secret: string): boolean {
  return timingSafeEqual(digest(presented), digest(secret));
}

/** A bearer verifier that accepts the service token first and hands every other token to `next`. */
export function withServiceToken(
  secret: string | undefined,
  next: (token: string) => Promise<AuthInfo>,
): (token: string) => Promise<AuthInfo> {
  if (!secret) return next;
  const expected = secret;
  return (token) => {
    if (isServiceToken(token, expected)) {
      return Promise.resolve({ token, clientId: SERVICE_SUBJECT, scopes: [...SERVICE_SCOPES] });
    }
    return next(token);
  };
}

/** Headers for calling a server as the hub: the service token unless an Authorization header is given. */
export function serviceHeaders(
  headers: Readonly<Record<string, string>>,
  secret: string | undefined,
): Record<string, string> {
  const hasAuth = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  return hasAuth || !secret ? { ...headers } : { ...headers, Authorization: `Bearer ${secret}` };
}
