import type { Request } from 'express';
import { PlexusError } from '../../lib/errors.ts';
import { secretMatches, type ClientDirectory, type OAuthClient } from './clients.ts';
import { invalidClient, invalidRequest } from './errors.ts';

/** The form fields of a token or revocation request (single values only). */
export function formFields(req: Request): (name: string) => string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  return (name) => {
    const value = body[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw invalidRequest(`${name} must be given once`);
    return value;
  };
}

/** client_id and secret from `Authorization: Basic` (RFC 6749 §2.3.1: each form-urlencoded). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('Basic credentials must be client_id:client_secret');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw invalidClient('Basic credentials are not form-urlencoded');
  }
}

export interface AuthenticatedClient {
  client: OAuthClient;
  /** Whether the client sent Basic credentials (a 401 then names the Basic scheme). */
  basic: boolean;
}

/**
 * Who is calling the token or revocation endpoint: a confidential client proves its secret (Basic or in the
 * body); a public client and an agent only name themselves (agents prove their DID with a client assertion,
 * which the identity authority checks where it matters: when issuing a token).
 */
export async function authenticateClient(
  req: Request,
  clients: ClientDirectory,
  field: (name: string) => string | undefined,
): Promise<AuthenticatedClient> {
  const basic = basicCredentials(req.headers.authorization);
  const bodyId = field('client_id');
  if (basic && bodyId !== undefined && bodyId !== basic.id)
    throw invalidClient('client_id in the body differs from the Basic credentials');
  const clientId = basic?.id ?? bodyId;
  if (!clientId) throw invalidClient('name the client: client_id, or Basic credentials');
  const secret = basic?.secret ?? field('client_secret');
  let client: OAuthClient | null;
  try {
    client = await clients.find(clientId);
  } catch (error) {
    if (error instanceof PlexusError) throw invalidClient(error.message);
    throw error;
  }
  if (!client) throw invalidClient(`this hub knows no client '${clientId}'`);
  if (client.secretHash !== null) {
    if (secret === undefined) throw invalidClient(`${client.name} is confidential: send its client secret`);
    if (!secretMatches(secret, client.secretHash))
      throw invalidClient(`wrong client secret for ${client.name}`);
  } else if (secret !== undefined) {
    throw invalidClient(`${client.name} is a public client and has no secret`);
  }
  return { client, basic: basic !== null };
}
