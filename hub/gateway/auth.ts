import type { AuthInfo } from '@modelcontextprotocol/server';
import { verifyAccessToken, type Jwks } from '../../lib/auth/access-token.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { RevocationCache } from './revocation.ts';

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

/**
 * Checks bearer tokens locally against the authority's JWKS, and refuses agent DIDs revoked since their token
 * was issued; the result is the SDK's AuthInfo.
 */
export function jwksTokenVerifier(options: {
  jwks: JwksCache;
  issuer: string;
  audience: string | string[];
  revocations?: RevocationCache;
  now?: () => number;
}): (token: string) => Promise<AuthInfo> {
  const now = options.now ?? Date.now;
  return async (token) => {
    const keys = await options.jwks.get(kidOf(token));
    const claims = await verifyAccessToken(token, {
      keys,
      issuer: options.issuer,
      audience: options.audience,
      now: now(),
    });
    if (claims.subject.startsWith('did:') && (await options.revocations?.isRevoked(claims.subject))) {
      throw new PlexusError('unauthorized', 'identity_revoked', `${claims.subject} is revoked`);
    }
    return {
      token,
      clientId: claims.subject,
      scopes: claims.scopes,
      expiresAt: Math.floor(claims.expiresAt / 1000),
      extra: { jti: claims.jti },
    };
  };
}

/** Why a token was refused, for the WWW-Authenticate error_description (no secrets, no quotes). */
export function refusalReason(error: unknown): string {
  const message = error instanceof PlexusError ? error.message : 'token could not be verified';
  return message.replace(/["\\]/g, "'").slice(0, 200);
}
