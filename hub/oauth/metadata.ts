import { TOKEN_PATH } from '../../lib/auth/public-url.ts';
import { SCOPES } from '../../lib/mcp/caller.ts';
import type { HubResources } from './resources.ts';

/** The endpoints of the hub's authorization server, under its issuer (the hub's public URL). */
export function oauthEndpoints(issuer: string) {
  return {
    authorization: `${issuer}/oauth/authorize`,
    token: `${issuer}${TOKEN_PATH}`,
    revocation: `${issuer}/oauth/revoke`,
    registration: `${issuer}/oauth/register`,
    jwks: `${issuer}/oauth/jwks.json`,
    clients: `${issuer}/oauth/clients`,
  };
}

/** RFC 8414 authorization server metadata, consistent with the resources' RFC 9728 documents. */
export function authorizationServerMetadata(
  issuer: string,
  options: { registration: boolean; metadataDocuments: boolean },
) {
  const endpoints = oauthEndpoints(issuer);
  return {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    revocation_endpoint: endpoints.revocation,
    ...(options.registration ? { registration_endpoint: endpoints.registration } : {}),
    jwks_uri: endpoints.jwks,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ],
    token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes_supported: [...SCOPES, 'offline_access'],
    client_id_metadata_document_supported: options.metadataDocuments,
    authorization_response_iss_parameter_supported: true,
  };
}

/**
 * RFC 9728 protected resource metadata for one of the hub's resources. Its scopes are what everyday use
 * needs (clients ask for these first); admin is asked for when a tool needs it (a 403 names it: step-up).
 */
export function protectedResourceMetadata(resources: HubResources, view: string | null) {
  return {
    resource: resources.of(view),
    authorization_servers: [resources.publicUrl],
    scopes_supported: ['read', 'write'],
    bearer_methods_supported: ['header'],
    resource_name: view === null ? 'Plexus hub' : `Plexus hub: ${view}`,
  };
}
