import type { AuthInfo } from '@modelcontextprotocol/server';
import { verifyAccessToken, type AccessTokenClaims, type Jwks } from '../../lib/auth/access-token.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { RevocationCache } from './revocation.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/**
 * The identity authority's public keys, cached: fetched on first use, again after `ttlMs`, and at once when a
 * token names a key we do not know (rotation) — but not more than once per `minRefetchMs`, so that tokens
 * with made-up key ids cannot make the hub hammer the authority.
 */
export class JwksCache {
  readonly #fetch: () => Promise<Jwks>;
  readonly #ttlMs: number;
  readonly #minRefetchMs: number;
  readonly #now: () => number;
  #keys: Jwks | null = null;
  #fetchedAt = -Infinity;
  #inflight: Promise<Jwks> | null = null;

  constructor(
    fetch: () => Promise<Jwks>,
    options: { ttlMs: number; minRefetchMs?: number; now?: () => number },
  ) {
    this.#fetch = fetch;
    this.#ttlMs = options.ttlMs;
    this.#minRefetchMs = options.minRefetchMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async get(kid?: string): Promise<Jwks> {
    const age = this.#now() - this.#fetchedAt;
    const known = kid === undefined || this.#keys?.keys.some((k) => k.kid === kid);
    if (this.#keys && age < this.#ttlMs && (known || age < this.#minRefetchMs)) return this.#keys;
    return this.refresh();
  }

  refresh(): Promise<Jwks> {
    this.#inflight ??= this.#fetch()
      .then((keys) => {
        this.#keys = keys;
        this.#fetchedAt = this.#now();
        return keys;
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }
}

function kidOf(token: string): string | undefined {
  const header = token.split('.')[0];
  if (!header) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof parsed.kid === 'string' ? parsed.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Where a token may be presented: the authority's audiences, and this hub's resources (computed per call). */
export type Audiences = readonly string[] | (() => readonly string[]);

/**
 * Reads an access token of the authority: signature against the JWKS, issuer, expiry, an accepted audience.
 * A token read once is remembered until its `exp` (by hash): presented again, it is accepted without a second
 * signature check as long as the authority still publishes its key and one of its audiences is still ours.
 */
export function jwksTokenReader(options: {
  jwks: JwksCache;
  issuer: string;
  audience: Audiences;
  now?: () => number;
  verified?: VerifiedTokens;
}): (token: string) => Promise<AccessTokenClaims> {
  const now = options.now ?? Date.now;
  const verified = options.verified ?? new VerifiedTokens();
  return async (token) => {
    const at = now();
    const key = VerifiedTokens.keyOf(token);
    const known = verified.get(key, at);
    const kid = known ? known.kid : kidOf(token);
    const keys = await options.jwks.get(kid);
    const audience = typeof options.audience === 'function' ? options.audience() : options.audience;
    if (
      known &&
      keys.keys.some((k) => k.kid === known.kid) &&
      known.claims.audience.some((aud) => audience.includes(aud))
    ) {
      return known.claims;
    }
    const claims = await verifyAccessToken(token, {
      keys,
      issuer: options.issuer,
      audience: [...audience],
      now: at,
    });
    verified.set(key, claims, kid);
    return claims;
  };
}

/** Whether a token was revoked on its own or through its grant (hub/oauth/standing.ts). */
export interface TokenRevocations {
  isRevoked(jti: string, grantId: string | null): Promise<boolean>;
}

/**
 * Checks bearer tokens locally against the authority's JWKS, and refuses agent and person DIDs revoked since
 * their token was issued and tokens revoked at the authorization server; the result is the SDK's AuthInfo,
 * whose `extra` names the token's audience (the gateway checks it against the resource it serves).
 */
export function jwksTokenVerifier(options: {
  jwks: JwksCache;
  issuer: string;
  audience: Audiences;
  revocations?: RevocationCache;
  tokens?: TokenRevocations;
  /** Subjects an operator revoked at this hub (the console): refused at once, whatever their token. */
  refusedSubject?: (subject: string) => boolean;
  now?: () => number;
  verified?: VerifiedTokens;
}): (token: string) => Promise<AuthInfo> {
  const read = jwksTokenReader(options);
  return async (token) => {
    const claims = await read(token);
    if (options.refusedSubject?.(claims.subject)) {
      throw new PlexusError(
        'unauthorized',
        'subject_revoked',
        `${claims.subject} was revoked by an operator`,
      );
    }
    const revoked = claims.subject.startsWith('did:')
      ? await options.revocations?.refusal(claims.subject)
      : null;
    if (revoked) throw new PlexusError('unauthorized', 'identity_revoked', revoked);
    if (await options.tokens?.isRevoked(claims.jti, claims.grantId ?? null)) {
      throw new PlexusError('unauthorized', 'token_revoked', 'the token was revoked');
    }
    return {
      token,
      clientId: claims.subject,
      scopes: claims.scopes,
      expiresAt: Math.floor(claims.expiresAt / 1000),
      extra: { jti: claims.jti, audience: claims.audience, grantId: claims.grantId ?? null },
    };
  };
}

/** Why a token was refused, for the WWW-Authenticate error_description (no secrets, no quotes). */
export function refusalReason(error: unknown): string {
  const message = error instanceof PlexusError ? error.message : 'token could not be verified';
  return message.replace(/["\\]/g, "'").slice(0, 200);
}
