import type { Request, Response } from 'express';
import type { AccessTokenClaims } from '../../lib/auth/access-token.ts';
import { authenticateClient, formFields } from './client-auth.ts';
import type { ClientDirectory } from './clients.ts';
import { OAuthError, invalidRequest } from './errors.ts';
import type { Grants } from './grants.ts';
import type { OAuthStore } from './store.ts';

export interface RevokeDeps {
  clients: ClientDirectory;
  grants: Grants;
  store: OAuthStore;
  /** The claims of one of our access tokens (any audience of this hub), or null when it is not one. */
  readAccessToken: (token: string) => Promise<AccessTokenClaims | null>;
  onRevoke: () => void;
}

/**
 * POST /oauth/revoke (RFC 7009). A refresh token ends its grant and so every token from it; an access token
 * is refused from now on. Only the client a token was issued to may revoke it; anything else — unknown,
 * expired, someone else's — is answered 200 all the same, as the RFC asks.
 */
export async function revokeEndpoint(req: Request, res: Response, deps: RevokeDeps): Promise<void> {
  res.setHeader('Cache-Control', 'no-store');
  try {
    const field = formFields(req);
    const token = field('token');
    if (!token) throw invalidRequest('token is required');
    // Agents name themselves by DID; their assertion is not needed to give up a token they hold.
    const { client } = await authenticateClient(req, deps.clients, field);
    const hint = field('token_type_hint');
    if (hint !== 'access_token' && (await deps.grants.revokeRefreshToken(client, token))) {
      res.status(200).end();
      return;
    }
    const claims = await deps.readAccessToken(token);
    if (claims && (claims.clientId ?? claims.subject) === client.clientId) {
      await deps.store.revokeToken(claims.jti, claims.expiresAt);
      deps.onRevoke();
    }
    res.status(200).end();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    res.status(error.status).json(error.body);
  }
}
