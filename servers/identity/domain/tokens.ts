import {
  ed25519Jwk,
  signAccessToken,
  verifyAccessToken,
  type AccessTokenClaims,
  type Ed25519Jwk,
  type SigningKey,
} from '../../../lib/auth/access-token.ts';
import { verifyClientAssertion } from '../../../lib/auth/client-assertion.ts';
import { generateEd25519 } from '../../../lib/crypto/ed25519.ts';
import { PlexusError, invalid } from '../../../lib/errors.ts';
import { AccessScope, type IdentitySettings } from '../../../schemas/identity/settings.ts';
import type { IdentityService } from './identities.ts';
import type { IdentityStore } from './store.ts';

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
  subject: string;
}

/** An absolute http(s) URL without a fragment: what RFC 8707 allows as a resource indicator. */
function isResourceUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '' && !value.includes('#');
}

/** Creates (first start) or loads the authority's Ed25519 token-signing key from the store. */
export async function loadAuthorityKey(
  store: IdentityStore,
  now: number,
): Promise<{ key: SigningKey; jwk: Ed25519Jwk }> {
  const fresh = generateEd25519();
  const jwk = await ed25519Jwk(fresh.publicKey);
  const stored = await store.authorityKey({ kid: jwk.kid, ...fresh, createdAt: now });
  return { key: { kid: stored.kid, secretKey: stored.secretKey }, jwk: await ed25519Jwk(stored.publicKey) };
}

/** The token service: client assertion in, short-lived EdDSA access token out; operator tokens; JWKS. */
export class TokenAuthority {
  readonly #store: IdentityStore;
  readonly #identities: IdentityService;
  readonly #settings: IdentitySettings;
  readonly #now: () => number;
  readonly #key: SigningKey;
  readonly #jwk: Ed25519Jwk;

  constructor(deps: {
    store: IdentityStore;
    identities: IdentityService;
    settings: IdentitySettings;
    now: () => number;
    authority: { key: SigningKey; jwk: Ed25519Jwk };
  }) {
    this.#store = deps.store;
    this.#identities = deps.identities;
    this.#settings = deps.settings;
    this.#now = deps.now;
    this.#key = deps.authority.key;
    this.#jwk = deps.authority.jwk;
  }

  jwks(): { keys: Ed25519Jwk[] } {
    return { keys: [this.#jwk] };
  }

  /**
   * The `aud` of a new token: the default audience, one of the configured ones, or — when `resourceUrls` (the
   * caller is the authorization server in front, which checked the resource is its own) — an RFC 8707
   * resource URL the token is then bound to.
   */
  #audience(requested: string | undefined, resourceUrls: boolean): string {
    const { audience, audiences } = this.#settings;
    if (requested === undefined || requested === audience) return audience;
    if (audiences.includes(requested)) return requested;
    if (resourceUrls && isResourceUrl(requested)) return requested;
    throw invalid(
      'audience',
      `'${requested}' is not an audience this authority issues tokens for`,
      'invalid_target',
    );
  }

  #scopes(requested: string | undefined, allowed: readonly string[], whose: string): string[] {
    if (requested === undefined || requested.trim() === '') return [...allowed];
    const asked = [...new Set(requested.split(' ').filter(Boolean))];
    const extra = asked.filter((s) => !allowed.includes(s));
    if (extra.length > 0)
      throw invalid(
        'scope',
        `not grantable to ${whose}: ${extra.join(', ')} (allowed: ${allowed.join(' ')})`,
        'invalid_scope',
      );
    return asked;
  }

  async issueAccessToken(input: {
    assertion: string;
    audience?: string | undefined;
    scope?: string | undefined;
    /** Whether the caller may bind the token to any resource URL (the hub's authorization server may). */
    resourceUrls?: boolean;
  }): Promise<IssuedToken> {
    const audience = this.#audience(input.audience, input.resourceUrls ?? false);
    const scopes = this.#scopes(input.scope, this.#settings.agentScopes, 'agents');
    const now = this.#now();
    await this.#store.purgeExpired(now);
    const { did } = await verifyClientAssertion(input.assertion, {
      audience: [this.#settings.issuer, ...this.#settings.tokenEndpoints],
      now,
      maxLifetimeSeconds: this.#settings.assertionMaxLifetimeSeconds,
      clockSkewSeconds: this.#settings.clockSkewSeconds,
      keyFor: (d) => this.#identities.usableKey(d),
      useJti: (d, jti, expiresAt) =>
        this.#store.useOnce(`jti ${d} ${jti}`, expiresAt + this.#settings.clockSkewSeconds * 1000, now),
    });
    const ttl = this.#settings.accessTokenTtlSeconds;
    const { token } = await signAccessToken({
      key: this.#key,
      subject: did,
      scopes,
      issuer: this.#settings.issuer,
      audience,
      ttlSeconds: ttl,
      now,
      extra: { clientId: did },
    });
    return { accessToken: token, expiresIn: ttl, scopes, subject: did };
  }

  /**
   * A token for a DID the authorization server in front vouches for (a person who signed in, or a machine
   * client acting as one): the hub has checked the person, the client, the scopes and the resource; the
   * authority checks the DID is not revoked and signs.
   */
  async issueDelegatedToken(input: {
    subject: string;
    scope: string;
    audience: string;
    clientId: string;
    grantId?: string | undefined;
  }): Promise<IssuedToken> {
    await this.#identities.usableKey(input.subject);
    const audience = this.#audience(input.audience, true);
    const scopes = this.#scopes(input.scope, AccessScope.options, 'anyone');
    if (scopes.length === 0) throw invalid('scope', 'name at least one scope', 'invalid_scope');
    const ttl = this.#settings.accessTokenTtlSeconds;
    const { token } = await signAccessToken({
      key: this.#key,
      subject: input.subject,
      scopes,
      issuer: this.#settings.issuer,
      audience,
      ttlSeconds: ttl,
      now: this.#now(),
      extra: { clientId: input.clientId, ...(input.grantId ? { grantId: input.grantId } : {}) },
    });
    return { accessToken: token, expiresIn: ttl, scopes, subject: input.subject };
  }

  async createOperatorToken(input: {
    name: string;
    scopes: string[];
    ttlSeconds: number;
  }): Promise<{ token: string; subject: string; expiresAt: number }> {
    const max = this.#settings.operatorTokenMaxTtlSeconds;
    if (input.ttlSeconds > max) throw invalid('ttl_seconds', `must be at most ${max}`);
    const subject = `operator:${input.name}`;
    const { token, expiresAt } = await signAccessToken({
      key: this.#key,
      subject,
      scopes: [...new Set(input.scopes)],
      issuer: this.#settings.issuer,
      audience: this.#settings.audience,
      ttlSeconds: input.ttlSeconds,
      now: this.#now(),
    });
    return { token, subject, expiresAt };
  }

  /** Verifies an access token and, for an agent, that its DID has not been revoked since. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const claims = await verifyAccessToken(token, {
      keys: this.jwks(),
      issuer: this.#settings.issuer,
      audience: [this.#settings.audience, ...this.#settings.audiences],
      now: this.#now(),
    });
    if (claims.subject.startsWith('did:') && (await this.#identities.currentKey(claims.subject)).revoked)
      throw new PlexusError('unauthorized', 'identity_revoked', `${claims.subject} was revoked`);
    return claims;
  }
}
