import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Scope } from '../../lib/mcp/caller.ts';
import { ToolError } from '../../lib/clients/errors.ts';
import type { IdentityLink, IssuedToken } from '../identity-link.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import type { OAuthClient } from './clients.ts';
import { OAuthError, invalidGrant, invalidRequest, invalidScope, invalidTarget } from './errors.ts';
import type { HubResources } from './resources.ts';
import { grantable, requestedScopes } from './scopes.ts';
import type { GrantRecord, OAuthStore, UserRecord } from './store.ts';
import type { Users } from './users.ts';

export interface TokenResponse extends IssuedToken {
  refresh_token?: string;
}

const CODE_TTL_MS = 60_000;
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The authorization code and refresh token grants over the store: a person's approval becomes a grant and a
 * one-time code; the code (with its PKCE verifier) becomes an access token bound to the approved resource
 * and a refresh token; each refresh spends the refresh token and hands out the next (rotation), and a spent
 * one coming back means it was copied, so the whole grant is revoked (reuse detection). Access tokens are
 * signed by the identity authority for the person's DID, naming the client and the grant.
 */
export class Grants {
  readonly #store: OAuthStore;
  readonly #users: Users;
  readonly #identity: IdentityLink;
  readonly #resources: HubResources;
  readonly #issuer: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  /** Told when a grant is revoked here, so cached token standings are dropped at once. */
  readonly #onRevoke: () => void;

  constructor(deps: {
    store: OAuthStore;
    users: Users;
    identity: IdentityLink;
    resources: HubResources;
    issuer: string;
    refreshTokenDays: number;
    now?: () => number;
    onRevoke?: () => void;
  }) {
    this.#store = deps.store;
    this.#users = deps.users;
    this.#identity = deps.identity;
    this.#resources = deps.resources;
    this.#issuer = deps.issuer;
    this.#refreshMs = deps.refreshTokenDays * 86_400_000;
    this.#now = deps.now ?? Date.now;
    this.#onRevoke = deps.onRevoke ?? (() => {});
  }

  /** The scopes `user` may give `client` of those requested; empty when none. */
  scopesFor(user: UserRecord, request: AuthorizationRequest): Scope[] {
    return grantable(request.scopes, user.scopes, request.client.scopes);
  }

  /** Records the person's approval and returns where to send the browser: the redirect URI with a code. */
  async approve(user: UserRecord, request: AuthorizationRequest): Promise<string> {
    const scopes = this.scopesFor(user, request);
    if (scopes.length === 0)
      throw invalidScope(
        `${user.name} may not grant ${request.scopes.join(' ')} (they hold ${user.scopes.join(' ')})`,
      );
    await this.#users.ensureRegistered(user, this.#identity);
    const now = this.#now();
    const grant: GrantRecord = {
      id: randomUUID(),
      user: user.name,
      clientId: request.client.clientId,
      clientName: request.client.name,
      redirectUri: request.redirectUri,
      scopes,
      resource: request.resource,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.#refreshMs,
      revokedAt: null,
    };
    await this.#store.addGrant(grant);
    const code = newSecret();
    await this.#store.addCode({
      codeHash: digest(code),
      grantId: grant.id,
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      expiresAt: now + CODE_TTL_MS,
    });
    const url = new URL(request.redirectUri);
    url.searchParams.set('code', code);
    if (request.state !== null) url.searchParams.set('state', request.state);
    url.searchParams.set('iss', this.#issuer);
    return url.href;
  }

  async #revokeGrant(id: string): Promise<void> {
    await this.#store.revokeGrant(id, this.#now());
    this.#onRevoke();
  }

  /** The active grant `client` holds with this id, and its user. */
  async #liveGrant(grantId: string, client: OAuthClient): Promise<{ grant: GrantRecord; user: UserRecord }> {
    const grant = await this.#store.getGrant(grantId);
    if (!grant || grant.revokedAt !== null || grant.expiresAt <= this.#now())
      throw invalidGrant('the grant was revoked or has expired; sign in again');
    if (grant.clientId !== client.clientId) throw invalidGrant('the grant belongs to another client');
    const user = await this.#users.get(grant.user);
    if (!user) throw invalidGrant(`${grant.user} is no longer a user of this hub`);
    return { grant, user };
  }

  #checkResource(grant: GrantRecord, resource: string | undefined): void {
    if (resource === undefined) return;
    if (this.#resources.find(resource) !== grant.resource)
      throw invalidTarget(`this grant is for ${grant.resource}, not ${resource}`);
  }

  async #tokens(
    client: OAuthClient,
    user: UserRecord,
    grant: GrantRecord,
    scopes: Scope[],
  ): Promise<TokenResponse> {
    let issued: IssuedToken;
    try {
      issued = await this.#identity.issueDelegatedToken({
        subject: user.did,
        scope: scopes.join(' '),
        audience: grant.resource,
        clientId: client.clientId,
        grantId: grant.id,
      });
    } catch (error) {
      if (error instanceof ToolError && error.code === 'identity_revoked')
        throw invalidGrant(`the identity of ${user.name} (${user.did}) is revoked`);
      throw error;
    }
    const now = this.#now();
    await this.#store.touchGrant(grant.id, now, now + this.#refreshMs);
    if (!client.grantTypes.includes('refresh_token')) return issued;
    const refresh = newSecret();
    await this.#store.addRefreshToken({
      tokenHash: digest(refresh),
      grantId: grant.id,
      expiresAt: now + this.#refreshMs,
    });
    return { ...issued, refresh_token: refresh };
  }

  async exchangeCode(
    client: OAuthClient,
    input: {
      code: string | undefined;
      codeVerifier: string | undefined;
      redirectUri: string | undefined;
      resource: string | undefined;
    },
  ): Promise<TokenResponse> {
    if (!input.code) throw invalidRequest('code is required');
    if (!input.codeVerifier || !CODE_VERIFIER.test(input.codeVerifier))
      throw invalidRequest('code_verifier is required (PKCE): 43-128 unreserved characters');
    const taken = await this.#store.takeCode(digest(input.code), this.#now());
    if (!taken) throw invalidGrant('the authorization code is unknown or expired');
    const code = taken.record;
    if (taken.reused) {
      // A code used twice was intercepted: what it granted is revoked (OAuth 2.1 §4.1.3).
      await this.#revokeGrant(code.grantId);
      throw invalidGrant('the authorization code was already used; its grant is revoked');
    }
    if (code.clientId !== client.clientId)
      throw invalidGrant('the authorization code was issued to another client');
    if (input.redirectUri !== code.redirectUri)
      throw invalidGrant('redirect_uri differs from the one in the authorization request');
    if (digest(input.codeVerifier) !== code.codeChallenge)
      throw invalidGrant('code_verifier does not match the code_challenge');
    const { grant, user } = await this.#liveGrant(code.grantId, client);
    this.#checkResource(grant, input.resource);
    return this.#tokens(client, user, grant, grant.scopes as Scope[]);
  }

  async refresh(
    client: OAuthClient,
    input: { refreshToken: string | undefined; scope: string | undefined; resource: string | undefined },
  ): Promise<TokenResponse> {
    if (!input.refreshToken) throw invalidRequest('refresh_token is required');
    const taken = await this.#store.takeRefreshToken(digest(input.refreshToken), this.#now());
    if (!taken) throw invalidGrant('the refresh token is unknown or expired');
    if (taken.reused) {
      await this.#revokeGrant(taken.record.grantId);
      throw invalidGrant('the refresh token was already used; its grant is revoked (sign in again)');
    }
    const { grant, user } = await this.#liveGrant(taken.record.grantId, client);
    this.#checkResource(grant, input.resource);
    let scopes = grantable(grant.scopes as Scope[], user.scopes);
    if (input.scope !== undefined) {
      const asked = requestedScopes(input.scope).scopes;
      const wider = asked.filter((s) => !grantable([s], grant.scopes).length);
      if (wider.length > 0)
        throw invalidScope(`a refresh cannot widen the grant: ${wider.join(' ')} was not granted`);
      scopes = grantable(asked, scopes);
    }
    if (scopes.length === 0) throw invalidScope(`${user.name} no longer holds any of the granted scopes`);
    return this.#tokens(client, user, grant, scopes);
  }

  /** A configured machine client acting as its hub user (client_credentials with a secret). */
  async machineToken(
    client: OAuthClient,
    input: { scope: string | undefined; resource: string | undefined },
  ): Promise<IssuedToken> {
    const user = client.user === null ? null : await this.#users.get(client.user);
    if (!user)
      throw new OAuthError(
        'unauthorized_client',
        `${client.name} acts as user '${client.user}', who does not exist`,
      );
    const scopes = grantable(requestedScopes(input.scope).scopes, user.scopes, client.scopes);
    if (scopes.length === 0) throw invalidScope(`${client.name} may not have ${input.scope ?? 'read write'}`);
    const resource =
      input.resource === undefined ? this.#resources.of(null) : this.#resources.find(input.resource);
    if (resource === null) throw invalidTarget(`${input.resource} is not a resource of this hub`);
    await this.#users.ensureRegistered(user, this.#identity);
    return this.#identity.issueDelegatedToken({
      subject: user.did,
      scope: scopes.join(' '),
      audience: resource,
      clientId: client.clientId,
    });
  }

  /** RFC 7009 for a refresh token: its grant ends (and every token from it). False when it is not one of ours. */
  async revokeRefreshToken(client: OAuthClient, token: string): Promise<boolean> {
    const grantId = await this.#store.refreshTokenGrant(digest(token));
    if (grantId === null) return false;
    const grant = await this.#store.getGrant(grantId);
    if (grant && grant.clientId === client.clientId) await this.#revokeGrant(grantId);
    return true;
  }

  /** Revokes everything a user approved for a client (the approved-clients page). */
  async revokeClient(user: UserRecord, clientId: string): Promise<number> {
    const revoked = await this.#store.revokeClientGrants(user.name, clientId, this.#now());
    this.#onRevoke();
    return revoked;
  }
}
