import { z } from 'zod';
import { AgentCard } from '../agent-card.ts';
import { Did, JsonValue, TimestampMs, label } from '../common.ts';
import { DidDocument } from '../did-document.ts';
import { Ed25519Multibase, Sha256 } from './statements.ts';

/** Signed statements are taken as plain objects and checked by the server, so errors name `card.…`. */
const SignedObject = z.record(z.string(), JsonValue);

export const LogHead = z.object({ seq: z.int().nonnegative(), hash: Sha256 });

export const RegisterIdentityInput = z.object({
  card: SignedObject.describe(
    'Agent Card signed (JCS) by the DID’s current key; version above the registered one',
  ),
});
export const RegisterIdentityOutput = z.object({
  did: Did,
  created: z.boolean(),
  version: z.int(),
  document: DidDocument,
  card: AgentCard,
  log_head: LogHead,
  updated_at: TimestampMs,
});

export const ResolveDidInput = z.object({ did: Did });
export const ResolveDidOutput = z.object({
  did: Did,
  document: DidDocument,
  card: AgentCard,
  revoked: z.boolean(),
  revoked_at: TimestampMs.nullable(),
  /** Who revoked it: the DID itself, or an operator's subject. */
  revoked_by: z.string().optional(),
  revocation_reason: z.string().optional(),
  /** The current signing key (multibase): the did:key's own key until a rotation. */
  key: Ed25519Multibase,
  log_head: LogHead,
  updated_at: TimestampMs,
});
export type ResolveDidOutput = z.infer<typeof ResolveDidOutput>;

export const RotateKeysInput = z.object({
  statement: SignedObject.describe(
    'plexus/key-rotation statement {did, seq, prev, key, keyAgreement?, nextKeyCommitment?, issuedAt} signed by the current key',
  ),
});
export const RotateKeysOutput = z.object({
  did: Did,
  key: Ed25519Multibase,
  key_id: z.string(),
  next_key_committed: z.boolean(),
  log_head: LogHead,
  document: DidDocument,
});

export const RevokeIdentityInput = z.object({
  statement: SignedObject.describe(
    'plexus/revocation statement {did, seq, prev, reason?, issuedAt} signed by the current key',
  ),
});
export const RevokeIdentityOutput = z.object({
  did: Did,
  revoked: z.literal(true),
  revoked_at: TimestampMs,
  log_head: LogHead,
});

export const RevokeIdentityAsOperatorInput = z.object({
  did: Did,
  reason: label(256).describe('Why, as the agent and the event stream will show it'),
});
export const RevokeIdentityAsOperatorOutput = RevokeIdentityOutput.extend({
  /** The operator, as the caller's token names them. */
  revoked_by: z.string(),
});
export type RevokeIdentityAsOperatorOutput = z.infer<typeof RevokeIdentityAsOperatorOutput>;

export const LogEntryOut = z.object({
  seq: z.int().nonnegative(),
  type: z.enum(['register', 'update', 'rotate', 'revoke']),
  statement: SignedObject,
  prev_hash: Sha256.nullable(),
  hash: Sha256,
  recorded_at: TimestampMs,
});
export const GetIdentityLogInput = z.object({ did: Did });
export const GetIdentityLogOutput = z.object({
  did: Did,
  entries: z.array(LogEntryOut),
  /** The server's own re-verification of the chain from the did:key's key. */
  verified: z.boolean(),
  broken_at: z.int().nonnegative().optional(),
  problem: z.string().optional(),
});

export const VerifySignatureInput = z.object({
  did: Did,
  payload: z
    .union([z.string().max(1_000_000), z.record(z.string(), JsonValue)])
    .describe('What was signed: an object (signed as its JCS form) or a string'),
  encoding: z
    .enum(['jcs', 'utf8', 'base64url'])
    .default('jcs')
    .describe('jcs: object payload; utf8: string as UTF-8 bytes; base64url: string of raw bytes'),
  signature: z.string().max(200).describe('base64url Ed25519 signature'),
});
export const VerifyOutcome = z.enum(['valid', 'signature_mismatch', 'revoked', 'malformed']);
export const VerifySignatureOutput = z.object({
  valid: z.boolean(),
  did: Did,
  result: VerifyOutcome,
  key: Ed25519Multibase,
  key_id: z.string(),
});

export const IssueChallengeInput = z.object({
  did: Did.optional().describe('Bind the challenge to this DID'),
});
export const IssueChallengeOutput = z.object({
  nonce: z.string(),
  did: Did.nullable(),
  expires_at: TimestampMs,
});
export const VerifyChallengeInput = z.object({
  response: SignedObject.describe('plexus/challenge-response {did, nonce} signed by the DID’s current key'),
});
export const VerifyChallengeOutput = z.object({
  valid: z.boolean(),
  did: Did,
  result: z.enum(['valid', 'unknown_nonce', 'expired', 'did_mismatch', 'signature_mismatch', 'revoked']),
  key_id: z.string().optional(),
});

export const IssueAccessTokenInput = z.object({
  assertion: z
    .string()
    .min(1)
    .max(8192)
    .describe('RFC 7523 client assertion (private_key_jwt) signed by the DID'),
  audience: z.string().min(1).max(256).optional(),
  scope: z.string().max(256).optional().describe('Space-separated scopes, narrowing the agent default'),
});
export const IssueAccessTokenOutput = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.int().positive(),
  scope: z.string(),
});
export type IssueAccessTokenOutput = z.infer<typeof IssueAccessTokenOutput>;

export const IssueDelegatedTokenInput = z.object({
  subject: Did.describe('The DID the token speaks for (a person, or a machine client acting as one)'),
  scope: z.string().min(1).max(256).describe('Space-separated scopes the authorization server granted'),
  audience: z
    .string()
    .min(1)
    .max(2048)
    .describe('The RFC 8707 resource URL the token is bound to, or a configured audience'),
  client_id: z.string().min(1).max(2048).describe('The OAuth client the token is issued to'),
  grant_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('The grant it comes from (sid), so revoking the grant ends it'),
});
export const IssueDelegatedTokenOutput = IssueAccessTokenOutput;

export const Jwk = z.looseObject({ kty: z.string(), kid: z.string().optional() });
export const GetJwksInput = z.object({});
export const GetJwksOutput = z.object({ keys: z.array(Jwk) });

export const VerifyAccessTokenInput = z.object({ token: z.string().min(1).max(8192) });
export const VerifyAccessTokenOutput = z.object({
  active: z.boolean(),
  subject: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  expires_at: TimestampMs.optional(),
  jti: z.string().optional(),
  reason: z.string().optional(),
});

export const OperatorName = label(64).regex(/^[a-zA-Z0-9._@-]+$/, 'must be letters, digits and . _ @ -');
export const CreateOperatorTokenInput = z.object({
  name: OperatorName,
  scopes: z
    .array(z.enum(['read', 'write', 'admin']))
    .min(1)
    .max(3),
  ttl_seconds: z.int().min(60),
});
export const CreateOperatorTokenOutput = z.object({
  token: z.string(),
  subject: z.string(),
  expires_at: TimestampMs,
});
export type CreateOperatorTokenOutput = z.infer<typeof CreateOperatorTokenOutput>;

export const AttestInput = z.object({
  attestation: SignedObject.describe(
    'plexus/attestation {attester, subject, positive, weight, context, reference, reason?, issuedAt} signed by the attester',
  ),
});
export const AttestOutput = z.object({ recorded: z.literal(true), attester: Did, subject: Did });

export const ReportOutcomeInput = z.object({
  subject: Did,
  source: z.enum(['task', 'uptime']),
  positive: z.boolean(),
  weight: z.number().gt(0).max(1).default(1),
  reference: label(256).describe('Task id, or the heartbeat window, so a report counts once'),
});
export const ReportOutcomeOutput = z.object({ recorded: z.boolean(), duplicate: z.boolean() });

export const GetTrustInput = z.object({
  did: Did,
  perspective: z
    .union([Did, z.literal('authority')])
    .default('authority')
    .describe('Whose view: a DID, or the authority (outcomes plus attesters it has evidence about)'),
});
const Counts = z.object({ positive: z.int(), negative: z.int() });
export const GetTrustOutput = z.object({
  did: Did,
  perspective: z.string(),
  score: z.number().min(0).max(1),
  positive: z.number(),
  negative: z.number(),
  uncertainty: z.number(),
  attestations: z.int(),
  attesters: z.int(),
  outcomes: z.object({ task: Counts, uptime: Counts }),
  revoked: z.boolean(),
  half_life_seconds: z.number(),
});
