import type { Request, Response } from 'express';
import { CLIENT_ASSERTION_TYPE } from '../../lib/auth/client-assertion.ts';
import { DID_KEY_PATTERN } from '../../schemas/common.ts';
import type { RateLimiter } from '../../lib/rate-limit.ts';
import type { IdentityLink, IssuedToken } from '../identity-link.ts';
import { authenticateClient, formFields } from './client-auth.ts';
import type { ClientDirectory } from './clients.ts';
import { OAuthError, invalidClient, invalidRequest, invalidTarget, unauthorizedClient } from './errors.ts';
import type { Grants } from './grants.ts';
import type { HubResources } from './resources.ts';

export interface TokenDeps {
  clients: ClientDirectory;
  grants: Grants;
  identity: IdentityLink;
  resources: HubResources;
  limiter: RateLimiter;
  /** Counts a refused request (metrics). */
  onRefused: () => void;
}

/**
 * client_credentials for an agent: a private_key_jwt assertion signed by its DID, checked and exchanged by
 * the identity authority. Assertions addressed to the hub's issuer or its token endpoint are accepted (what
 * the SDK's PrivateKeyJwtProvider and Plexus agents send); a `resource` binds the token to it.
 */
async function agentToken(
  field: (name: string) => string | undefined,
  deps: TokenDeps,
): Promise<IssuedToken> {
  if (field('client_assertion_type') !== CLIENT_ASSERTION_TYPE)
    throw invalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE} (private_key_jwt)`);
  const clientId = field('client_id');
  if (clientId !== undefined && !DID_KEY_PATTERN.test(clientId))
    throw invalidClient(
      'an agent authenticating with a client assertion is its DID: client_id must be a did:key',
    );
  const resourceParam = field('resource');
  const resource = resourceParam === undefined ? undefined : deps.resources.find(resourceParam);
  if (resource === null) throw invalidTarget(`${resourceParam} is not a resource of this hub`);
  const issued = await deps.identity.issueAccessToken({
    assertion: field('client_assertion') as string,
    clientId,
    audience: resource,
    scope: field('scope'),
  });
  if ('error' in issued) throw new OAuthError(issued.error, issued.description, issued.status);
  return issued;
}

async function answer(req: Request, field: (name: string) => string | undefined, deps: TokenDeps) {
  const grantType = field('grant_type');
  if (grantType === 'client_credentials' && field('client_assertion') !== undefined)
    return agentToken(field, deps);
  if (
    grantType !== 'authorization_code' &&
    grantType !== 'refresh_token' &&
    grantType !== 'client_credentials'
  )
    throw new OAuthError(
      'unsupported_grant_type',
      'grant_type must be authorization_code, refresh_token or client_credentials',
    );
  const { client } = await authenticateClient(req, deps.clients, field);
  if (client.kind === 'agent')
    throw invalidClient('an agent authenticates with a client assertion (private_key_jwt) signed by its DID');
  if (!client.grantTypes.includes(grantType))
    throw unauthorizedClient(`${client.name} may not use ${grantType}`);
  switch (grantType) {
    case 'authorization_code':
      return deps.grants.exchangeCode(client, {
        code: field('code'),
        codeVerifier: field('code_verifier'),
        redirectUri: field('redirect_uri'),
        resource: field('resource'),
      });
    case 'refresh_token':
      return deps.grants.refresh(client, {
        refreshToken: field('refresh_token'),
        scope: field('scope'),
        resource: field('resource'),
      });
    case 'client_credentials':
      return deps.grants.machineToken(client, { scope: field('scope'), resource: field('resource') });
  }
}

/** POST /oauth/token (RFC 6749 §3.2): every grant the hub supports, rate-limited per client. */
export async function tokenEndpoint(req: Request, res: Response, deps: TokenDeps): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  try {
    const field = formFields(req);
    const key = `token:${field('client_id') ?? req.socket.remoteAddress ?? 'unknown'}`;
    const decision = await deps.limiter.take(key);
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      throw new OAuthError('slow_down', 'too many token requests', 429);
    }
    res.json(await answer(req, field, deps));
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    deps.onRefused();
    if (error.status === 401 && /^Basic /i.test(req.headers.authorization ?? ''))
      res.setHeader('WWW-Authenticate', 'Basic realm="plexus"');
    res.status(error.status).json(error.body);
  }
}
