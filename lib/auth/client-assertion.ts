import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { ed25519PrivateKeyObject, ed25519PublicKeyObject } from '../crypto/ed25519.ts';
import { DID_KEY_PATTERN } from '../../schemas/common.ts';
import { PlexusError } from '../errors.ts';
import { JWT_ALGORITHM, joseFailure, pinnedHeader } from './access-token.ts';

/**
 * RFC 7523 `private_key_jwt` client assertions: an agent proves it holds its DID's key by signing a short-lived
 * JWT with `iss` = `sub` = its DID and `aud` = the token endpoint; each `jti` is accepted once.
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** No assertion may live longer than this (RFC 7523 asks for a short expiry). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export async function createClientAssertion(options: {
  did: string;
  /** The DID's current Ed25519 secret key (32-byte seed). */
  secretKey: Uint8Array;
  /** The token endpoint URL (or the audience the authority is configured with). */
  audience: string;
  now?: number;
  lifetimeSeconds?: number;
  jti?: string;
}): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: 'JWT' })
    .setIssuer(options.did)
    .setSubject(options.did)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? 60))
    .setJti(options.jti ?? randomUUID())
    .sign(ed25519PrivateKeyObject(options.secretKey));
}

export interface AssertionChecks {
  /** Accepted `aud` values: the token endpoint URL(s). */
  audience: string | string[];
  now: number;
  maxLifetimeSeconds?: number;
  clockSkewSeconds?: number;
  /** The DID's current public key; throws (a PlexusError) for a revoked or unusable DID. */
  keyFor(did: string): Promise<Uint8Array>;
  /** Records the jti until `expiresAt`; false when it was seen before. */
  useJti(did: string, jti: string, expiresAt: number): Promise<boolean>;
}

function refused(code: string, message: string): PlexusError {
  return new PlexusError('unauthorized', code, message, { hint: 'sign a fresh client assertion' });
}

/** Verifies a client assertion and burns its jti. Returns the authenticated DID. */
export async function verifyClientAssertion(
  assertion: string,
  checks: AssertionChecks,
): Promise<{ did: string; jti: string; expiresAt: number }> {
  pinnedHeader(assertion, 'assertion');
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw refused('assertion_malformed', 'assertion payload is not a JWT claims set');
  }
  const did = claims.iss;
  if (typeof did !== 'string' || !DID_KEY_PATTERN.test(did))
    throw refused('assertion_wrong_issuer', 'assertion iss must be the client did:key');
  if (claims.sub !== did)
    throw refused('assertion_wrong_subject', 'assertion sub must equal iss (the client DID)');
  const key = await checks.keyFor(did);
  const maxLifetime = checks.maxLifetimeSeconds ?? MAX_ASSERTION_LIFETIME_SECONDS;
  const skew = checks.clockSkewSeconds ?? 30;
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, ed25519PublicKeyObject(key), {
      algorithms: [JWT_ALGORITHM],
      issuer: did,
      subject: did,
      audience: checks.audience,
      currentDate: new Date(checks.now),
      clockTolerance: skew,
      requiredClaims: ['exp', 'iat', 'jti', 'aud'],
    }));
  } catch (error) {
    throw joseFailure(error, 'assertion');
  }
  const now = Math.floor(checks.now / 1000);
  const exp = payload.exp as number;
  const iat = payload.iat as number;
  if (iat > now + skew) throw refused('assertion_not_yet_valid', 'assertion iat is in the future');
  if (exp - iat > maxLifetime || exp - now > maxLifetime + skew)
    throw refused('assertion_lifetime_too_long', `assertion must expire within ${maxLifetime} s of issue`);
  const jti = payload.jti as string;
  if (!(await checks.useJti(did, jti, exp * 1000)))
    throw refused('assertion_replayed', 'assertion jti was already used');
  return { did, jti, expiresAt: exp * 1000 };
}
