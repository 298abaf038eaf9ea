import { verifyObject } from '../../../lib/crypto/signed-object.ts';
import type { ErrorKind } from '../../../lib/errors.ts';
import { TOPIC_PREFIX, fieldPath, jsonSize } from '../../../schemas/common.ts';
import { Envelope } from '../../../schemas/envelope.ts';
import type { ReplayVerdict } from '../../../lib/crypto/replay.ts';
import type { SenderKeys } from './sender-keys.ts';

/** Why an envelope was refused: a stable code, the error kind it maps to, and the field it is about. */
export const REFUSALS = {
  envelope_too_large: 'limit',
  envelope_invalid: 'invalid',
  recipient_is_topic: 'invalid',
  recipient_not_topic: 'invalid',
  sender_mismatch: 'forbidden',
  sender_revoked: 'forbidden',
  signature_invalid: 'forbidden',
  // Freshness, as lib/crypto/replay.ts names it; `envelope_replayed` also for the store's durable ledger.
  envelope_expired: 'conflict',
  envelope_too_old: 'conflict',
  envelope_from_future: 'conflict',
  envelope_replayed: 'conflict',
} as const satisfies Record<string, ErrorKind>;
export type RefusalCode = keyof typeof REFUSALS;

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** Path under the envelope, e.g. `sender`, `metadata.ttl`; empty for the envelope as a whole. */
  path: string[];
  id: string | null;
}

export interface AdmissionLimits {
  maxEnvelopeBytes: number;
  /** How far ahead of (or behind) the router's clock a timestamp may be. */
  maxClockSkewMs: number;
  /** How old a timestamp may be on arrival: the window the replay ledger must cover. */
  maxAgeMs: number;
}

const FRESHNESS_FIELD = {
  envelope_expired: 'expires',
  envelope_too_old: 'timestamp',
  envelope_from_future: 'timestamp',
  envelope_replayed: 'id',
} as const;

/** Which recipients a tool takes: `send_message` agents, `publish` topics, `send_messages` either. */
export type RecipientKind = 'agent' | 'topic' | 'any';

export type Checked = { ok: true; envelope: Envelope; size: number } | { ok: false; refusal: Refusal };

function refuse(code: RefusalCode, message: string, path: string[], id: string | null): Checked {
  return { ok: false, refusal: { code, message, path, id } };
}

function idOf(raw: unknown): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 64 ? id : null;
}

/**
 * The checks that need no keys and no state: size, shape, recipient kind and sender = caller. Cheap ones
 * first, so a flood of junk costs little.
 */
export function checkEnvelope(
  raw: unknown,
  context: { caller: string; kind: RecipientKind; maxEnvelopeBytes: number },
): Checked {
  const id = idOf(raw);
  const size = jsonSize(raw);
  if (size > context.maxEnvelopeBytes) {
    return refuse(
      'envelope_too_large',
      `envelope is ${size} bytes, more than the ${context.maxEnvelopeBytes}-byte limit`,
      [],
      id,
    );
  }
  const parsed = Envelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map(String);
    if (issue?.code === 'unrecognized_keys' && issue.keys[0]) path.push(issue.keys[0]);
    const message = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid');
    return refuse('envelope_invalid', message, path, id);
  }
  const envelope = parsed.data;
  const toTopic = envelope.recipient.startsWith(TOPIC_PREFIX);
  if (context.kind === 'agent' && toTopic) {
    return refuse('recipient_is_topic', 'is a topic: use publish', ['recipient'], id);
  }
  if (context.kind === 'topic' && !toTopic) {
    return refuse('recipient_not_topic', 'must be topic:<name>: use send_message', ['recipient'], id);
  }
  if (envelope.sender !== context.caller) {
    return refuse('sender_mismatch', `is not the authenticated caller (${context.caller})`, ['sender'], id);
  }
  return { ok: true, envelope, size };
}

/** Ed25519 over JCS of every field but `signature`, by any key the sender currently holds. */
export function checkSignature(envelope: Envelope, sender: SenderKeys): Refusal | null {
  if (sender.revoked) {
    return { code: 'sender_revoked', message: 'this identity is revoked', path: ['sender'], id: envelope.id };
  }
  const record = envelope as unknown as Record<string, unknown>;
  if (sender.keys.some((key) => verifyObject(record, key))) return null;
  return {
    code: 'signature_invalid',
    message: "does not verify with the sender's key",
    path: ['signature'],
    id: envelope.id,
  };
}

/** A ReplayGuard refusal (time window, or seen in this process) as a Refusal naming its field. */
export function freshnessRefusal(envelope: Envelope, verdict: ReplayVerdict): Refusal | null {
  if (verdict.ok) return null;
  return {
    code: verdict.code,
    message: verdict.message,
    path: [FRESHNESS_FIELD[verdict.code]],
    id: envelope.id,
  };
}

/**
 * How long the store's replay ledger must remember an envelope: while it could still pass the time checks
 * (until it expires or its timestamp leaves the window, whichever is first), plus the skew for a clock
 * that steps back. The same bound ReplayGuard keeps in memory.
 */
export function replayUntil(envelope: Envelope, limits: AdmissionLimits): number {
  return Math.min(envelope.expires, envelope.timestamp + limits.maxAgeMs + 1) + limits.maxClockSkewMs;
}

export function refusalField(root: string, refusal: Refusal): string {
  return fieldPath(root, refusal.path);
}
