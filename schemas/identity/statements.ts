import { z } from 'zod';
import { Base64Url, Did, Signature, TimestampMs, X25519Multibase, label } from '../common.ts';

/** An Ed25519 public key as multibase (`z6Mk…`), the form a did:key carries. */
export const Ed25519Multibase = z
  .string()
  .max(64)
  .regex(/^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/, 'must be a multibase Ed25519 key (z6Mk…)');
export type Ed25519Multibase = z.infer<typeof Ed25519Multibase>;

/** base64url SHA-256 of a log entry, or of a key (pre-rotation commitment). */
export const Sha256 = Base64Url.length(43, 'must be base64url of 32 bytes');

/**
 * A key rotation, signed by the DID's current key. `seq` and `prev` pin it to one place in the identity log so
 * it can never be replayed; `nextKeyCommitment` (SHA-256 of the next key's multibase) binds the rotation after.
 */
export const RotationStatement = z.strictObject({
  type: z.literal('plexus/key-rotation'),
  did: Did,
  seq: z.int().positive(),
  prev: Sha256,
  key: Ed25519Multibase,
  keyAgreement: X25519Multibase.optional(),
  nextKeyCommitment: Sha256.optional(),
  issuedAt: TimestampMs,
  signature: Signature,
});
export type RotationStatement = z.infer<typeof RotationStatement>;

/** A revocation, signed by the DID's current key. Final: nothing is accepted for the DID afterwards. */
export const RevocationStatement = z.strictObject({
  type: z.literal('plexus/revocation'),
  did: Did,
  seq: z.int().positive(),
  prev: Sha256,
  reason: label(256).optional(),
  issuedAt: TimestampMs,
  signature: Signature,
});
export type RevocationStatement = z.infer<typeof RevocationStatement>;

/**
 * A revocation by an operator of the network (a caller holding the admin scope), for a DID that cannot or will
 * not revoke itself: a lost or stolen key, a misbehaving agent. It is not signed by the DID: the identity
 * server writes it from the operator's authenticated call, naming them in `revokedBy`, and chains it into the
 * log like any entry. Final, as a self-revocation is.
 */
export const OperatorRevocationStatement = z.strictObject({
  type: z.literal('plexus/operator-revocation'),
  did: Did,
  reason: label(256),
  /** The operator's subject: a hub user's DID or `operator:<name>`. */
  revokedBy: label(128),
  issuedAt: TimestampMs,
});
export type OperatorRevocationStatement = z.infer<typeof OperatorRevocationStatement>;

/** A signed rating of one DID by another, about one task or message (`reference`). */
export const Attestation = z.strictObject({
  type: z.literal('plexus/attestation'),
  attester: Did,
  subject: Did,
  positive: z.boolean(),
  /** How much this experience counts, (0, 1]. */
  weight: z.number().gt(0).max(1),
  context: z.enum(['task', 'message', 'other']),
  reference: label(256),
  reason: label(512).optional(),
  issuedAt: TimestampMs,
  signature: Signature,
});
export type Attestation = z.infer<typeof Attestation>;

/** The answer to a challenge: the nonce, signed by the DID's current key. */
export const ChallengeResponse = z.strictObject({
  type: z.literal('plexus/challenge-response'),
  did: Did,
  nonce: Base64Url.min(22).max(128),
  signature: Signature,
});
export type ChallengeResponse = z.infer<typeof ChallengeResponse>;
