import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { RateLimiter } from '../../lib/rate-limit.ts';
import { secretHash } from './clients.ts';
import { OAuthError } from './errors.ts';
import { checkRedirectUri } from './redirect-uris.ts';
import type { OAuthStore } from './store.ts';

/**
 * RFC 7591 dynamic client registration: anyone may register an app people then sign in to (its name is
 * shown as unverified). Only the authorization code and refresh token grants: machine access
 * (client_credentials) is for clients the operator configures. Confidential clients (the RFC's default,
 * client_secret_basic) get a secret, kept only as its hash.
 */
const RegistrationRequest = z.looseObject({
  redirect_uris: z.array(z.string()).min(1, 'name at least one redirect URI').max(16),
  client_name: z.string().min(1).max(128).optional(),
  grant_types: z
    .array(
      z.enum(['authorization_code', 'refresh_token'], {
        error: 'only authorization_code and refresh_token can be registered here',
      }),
    )
    .min(1)
    .default(['authorization_code']),
  response_types: z.array(z.literal('code', 'only the code response type is supported')).default(['code']),
  token_endpoint_auth_method: z
    .enum(['none', 'client_secret_basic', 'client_secret_post'], {
      error: 'token_endpoint_auth_method must be none, client_secret_basic or client_secret_post',
    })
    .default('client_secret_basic'),
});

export interface RegisterDeps {
  store: OAuthStore;
  limiter: RateLimiter;
  maxClients: number;
  now: () => number;
}

function metadataError(description: string, error = 'invalid_client_metadata'): OAuthError {
  return new OAuthError(error, description);
}

async function register(body: unknown, deps: RegisterDeps) {
  const parsed = RegistrationRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw metadataError(
      `${field || '(body)'}: ${issue?.message}`,
      field.startsWith('redirect_uris') ? 'invalid_redirect_uri' : undefined,
    );
  }
  const request = parsed.data;
  for (const uri of request.redirect_uris) {
    const problem = checkRedirectUri(uri);
    if (problem) throw metadataError(`redirect_uris: ${problem}`, 'invalid_redirect_uri');
  }
  if ((await deps.store.countClients()) >= deps.maxClients)
    throw metadataError(`this hub accepts no more registrations (it keeps ${deps.maxClients})`);
  const clientId = `dyn_${randomBytes(16).toString('base64url')}`;
  const confidential = request.token_endpoint_auth_method !== 'none';
  const secret = confidential ? randomBytes(32).toString('base64url') : null;
  const now = deps.now();
  const metadata = { ...request, client_name: request.client_name ?? 'Unnamed client' };
  await deps.store.addClient({
    clientId,
    metadata,
    secretHash: secret === null ? null : secretHash(secret),
    createdAt: now,
  });
  return {
    ...metadata,
    client_id: clientId,
    client_id_issued_at: Math.floor(now / 1000),
    ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
  };
}

/** POST /oauth/register. */
export async function registerEndpoint(req: Request, res: Response, deps: RegisterDeps): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  try {
    const decision = await deps.limiter.take(`register:${req.socket.remoteAddress ?? 'unknown'}`);
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      throw new OAuthError('slow_down', 'too many registrations', 429);
    }
    res.status(201).json(await register(req.body, deps));
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    res.status(error.status).json(error.body);
  }
}
