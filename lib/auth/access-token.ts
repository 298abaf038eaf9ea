import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, decodeProtectedHeader, errors, jwtVerify, type JWK } from 'jose';
import { toBase64Url } from '../crypto/bytes.ts';
import { ed25519PrivateKeyObject } from '../crypto/ed25519.ts';
import { PlexusError } from '../errors.ts';

/**
 * Access tokens: JWTs (RFC 9068 `at+jwt`) signed EdDSA by the identity authority's own Ed25519 key.
 * The algorithm is pinned on both sides: `alg: none`, HS256 keyed with the public key and any other
 * algorithm are refused before a key is even looked at.
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const JWT_ALGORITHM = 'EdDSA';

export interface Ed25519Jwk extends JWK {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface Jwks {
  keys: JWK[];
}

export interface SigningKey {
  kid: string;
  /** 32-byte Ed25519 seed. */
  secretKey: Uint8Array;
}

export interface AccessTokenClaims {
  /** Agent or person DID, or `operator:<name>`. */
  subject: string;
  scopes: string[];
  /** Milliseconds since the epoch. */
  expiresAt: number;
  jti: string;
  /** Who the token is for: the authority's audience, or the URL of the one resource it is bound to (RFC 8707). */
  audience: string[];
  /** The OAuth client it was issued to (RFC 9068 `client_id`), when named. */
  clientId?: string;
  /** The authorization grant it came from (`sid`): revoking the grant ends the token. */
  grantId?: string;
}

/** Claims a token may carry besides the registered ones. */
export interface ExtraTokenClaims {
  clientId?: string;
  grantId?: string;
}

/** The public JWK of an Ed25519 key, its `kid` being the RFC 7638 thumbprint. */
export async function ed25519Jwk(publicKey: Uint8Array): Promise<Ed25519Jwk> {
  const x = toBase64Url(publicKey);
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x });
  return { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
}

export async function signAccessToken(options: {
  key: SigningKey;
  subject: string;
  scopes: readonly string[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now: number;
  jti?: string;
  extra?: ExtraTokenClaims;
}): Promise<{ token: string; expiresAt: number; jti: string }> {
  const iat = Math.floor(options.now / 1000);
  const exp = iat + options.ttlSeconds;
  const jti = options.jti ?? randomUUID();
  const { clientId, grantId } = options.extra ?? {};
  const token = await new SignJWT({
    scope: options.scopes.join(' '),
    ...(clientId === undefined ? {} : { client_id: clientId }),
    ...(grantId === undefined ? {} : { sid: grantId }),
  })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: options.key.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(ed25519PrivateKeyObject(options.key.secretKey));
  return { token, expiresAt: exp * 1000, jti };
}

function refused(code: string, message: string): PlexusError {
  return new PlexusError('unauthorized', code, message, { hint: 'get a new access token' });
}

/** Refuses every algorithm but EdDSA, reading only the (unverified) header. */
export function pinnedHeader(
  token: string,
  what: string,
): { kid?: string | undefined; typ?: string | undefined } {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new PlexusError('unauthorized', `${what}_malformed`, `${what} is not a compact JWS`);
  }
  if (header.alg !== JWT_ALGORITHM) {
    throw new PlexusError(
      'unauthorized',
      `${what}_alg_not_allowed`,
      `${what} algorithm '${String(header.alg)}' is not allowed; only ${JWT_ALGORITHM} is accepted`,
    );
  }
  return { kid: header.kid, typ: header.typ };
}

function publicKeyFromJwk(jwk: JWK): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }, format: 'jwk' });
}

/** Maps jose's verification errors to stable codes prefixed with `what` (token_expired, assertion_expired…). */
export function joseFailure(error: unknown, what: string): PlexusError {
  if (error instanceof errors.JWTExpired) return refused(`${what}_expired`, `${what} has expired`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const code = error.claim === 'aud' ? 'audience' : error.claim === 'iss' ? 'issuer' : 'claims';
    return refused(
      `${what}_wrong_${code}`,
      `${what} claim '${error.claim}' is not acceptable: ${error.reason}`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refused(`${what}_signature_invalid`, `${what} signature does not verify`);
  if (error instanceof errors.JOSEError)
    return refused(`${what}_invalid`, `${what} is invalid: ${error.message}`);
  throw error;
}

/**
 * Verifies an access token against the authority's JWKS: EdDSA only, `typ` at+jwt, a known `kid`,
 * issuer, audience and expiry checked at `now`; a token issued (`iat`) or valid from (`nbf`) later than
 * `now` plus the clock skew is refused.
 */
export async function verifyAccessToken(
  token: string,
  options: {
    keys: Jwks;
    issuer: string;
    audience: string | string[];
    now: number;
    clockSkewSeconds?: number;
  },
): Promise<AccessTokenClaims> {
  const skew = options.clockSkewSeconds ?? 30;
  const header = pinnedHeader(token, 'token');
  if (header.typ !== ACCESS_TOKEN_TYPE)
    throw refused('token_wrong_type', `token type '${String(header.typ)}' is not ${ACCESS_TOKEN_TYPE}`);
  const jwk = options.keys.keys.find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!jwk)
    throw refused(
      'token_unknown_key',
      `token key '${String(header.kid)}' is not one of the authority's keys`,
    );
  let payload;
  try {
    ({ payload } = await jwtVerify(token, publicKeyFromJwk(jwk), {
      algorithms: [JWT_ALGORITHM],
      typ: ACCESS_TOKEN_TYPE,
      issuer: options.issuer,
      audience: options.audience,
      currentDate: new Date(options.now),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    }));
  } catch (error) {
    throw joseFailure(error, 'token');
  }
  if ((payload.iat as number) > options.now / 1000 + skew) {
    throw refused(
      'token_from_future',
      `token was issued in the future (more than ${skew}s ahead of this clock)`,
    );
  }
  const scope = payload['scope'];
  if (typeof scope !== 'string') throw refused('token_invalid', 'token has no scope claim');
  const { client_id: clientId, sid } = payload;
  return {
    subject: payload.sub as string,
    scopes: scope.split(' ').filter(Boolean),
    expiresAt: (payload.exp as number) * 1000,
    jti: payload.jti as string,
    audience: typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []),
    ...(typeof clientId === 'string' ? { clientId } : {}),
    ...(typeof sid === 'string' ? { grantId: sid } : {}),
  };
}
