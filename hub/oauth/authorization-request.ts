import type { Scope } from '../../lib/mcp/caller.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { ClientDirectory, OAuthClient } from './clients.ts';
import { OAuthError, invalidRequest, invalidTarget, unauthorizedClient } from './errors.ts';
import { redirectUriAllowed } from './redirect-uris.ts';
import type { HubResources } from './resources.ts';
import { requestedScopes } from './scopes.ts';

/** A checked authorization request (OAuth 2.1 §4.1.1 with PKCE, RFC 8707). */
export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  state: string | null;
  codeChallenge: string;
  scopes: Scope[];
  /** The `scope` parameter as sent, carried through the consent form. */
  scope: string;
  resource: string;
  /** The `resource` parameter as sent (empty when none). */
  resourceParam: string;
}

/**
 * Why a request fails. Until the client and its redirect URI are known good, the person is told on a page
 * (`redirect` null: never send a browser to an unchecked URI); after that, the client is told at its
 * redirect URI (RFC 6749 §4.1.2.1, with `iss` per RFC 9207).
 */
export interface AuthorizationFailure {
  error: OAuthError;
  redirect: string | null;
}

export type AuthorizationParams = Record<string, unknown>;

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

function single(params: AuthorizationParams, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${name} must be given once`);
  return value;
}

/** The client's redirect URI with an error response (and `iss`, `state`). */
export function errorRedirect(
  redirectUri: string,
  issuer: string,
  error: OAuthError,
  state: string | null,
): string {
  const url = new URL(redirectUri);
  url.searchParams.set('error', error.error);
  url.searchParams.set('error_description', error.message);
  if (state !== null) url.searchParams.set('state', state);
  url.searchParams.set('iss', issuer);
  return url.href;
}

async function clientOf(directory: ClientDirectory, clientId: string | undefined): Promise<OAuthClient> {
  if (!clientId) throw invalidRequest('client_id is required');
  let client;
  try {
    client = await directory.find(clientId);
  } catch (error) {
    if (error instanceof PlexusError) throw new OAuthError('invalid_client', error.message);
    throw error;
  }
  if (!client) throw new OAuthError('invalid_client', `this hub knows no client '${clientId}'`);
  return client;
}

/** Checks an authorization request: a request to act on, or the failure and where to report it. */
export async function checkAuthorizationRequest(
  params: AuthorizationParams,
  deps: { clients: ClientDirectory; resources: HubResources; issuer: string },
): Promise<AuthorizationRequest | AuthorizationFailure> {
  let client: OAuthClient;
  let redirectUri: string;
  let state: string | null;
  try {
    state = single(params, 'state') ?? null;
    client = await clientOf(deps.clients, single(params, 'client_id'));
    const asked = single(params, 'redirect_uri');
    const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
    if (asked === undefined && only === undefined)
      throw invalidRequest(
        `redirect_uri is required: ${client.name} has ${client.redirectUris.length} registered`,
      );
    redirectUri = asked ?? (only as string);
    if (!redirectUriAllowed(client.redirectUris, redirectUri))
      throw invalidRequest(`redirect_uri ${redirectUri} is not registered for ${client.name}`);
  } catch (error) {
    if (error instanceof OAuthError) return { error, redirect: null };
    throw error;
  }
  try {
    if (single(params, 'response_type') !== 'code')
      throw new OAuthError('unsupported_response_type', 'response_type must be code');
    if (!client.grantTypes.includes('authorization_code'))
      throw unauthorizedClient(`${client.name} may not use the authorization code grant`);
    const codeChallenge = single(params, 'code_challenge');
    if (!codeChallenge || !CODE_CHALLENGE.test(codeChallenge))
      throw invalidRequest('code_challenge is required: PKCE with S256 (43 base64url characters)');
    if (single(params, 'code_challenge_method') !== 'S256')
      throw invalidRequest('code_challenge_method must be S256');
    const resourceParam = single(params, 'resource') ?? '';
    const resource = resourceParam ? deps.resources.find(resourceParam) : deps.resources.of(null);
    if (resource === null) throw invalidTarget(`${resourceParam} is not a resource of this hub`);
    if ((single(params, 'prompt') ?? '').split(' ').includes('none'))
      throw new OAuthError('consent_required', 'this hub asks the person every time');
    const scope = single(params, 'scope') ?? '';
    const { scopes } = requestedScopes(scope);
    return { client, redirectUri, state, codeChallenge, scopes, scope, resource, resourceParam };
  } catch (error) {
    if (error instanceof OAuthError)
      return { error, redirect: errorRedirect(redirectUri, deps.issuer, error, state) };
    throw error;
  }
}

export function isFailure(
  outcome: AuthorizationRequest | AuthorizationFailure,
): outcome is AuthorizationFailure {
  return 'error' in outcome;
}
