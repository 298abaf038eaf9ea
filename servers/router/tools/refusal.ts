import { PlexusError } from '../../../lib/errors.ts';
import type { RejectedOutcome } from '../../../schemas/router/tools.ts';
import type { z } from 'zod';
import { REFUSALS, refusalField, type Refusal, type RefusalCode } from '../domain/admission.ts';

const HINTS: Partial<Record<RefusalCode, string>> = {
  envelope_too_large: 'send large data by reference (a URL or a memory id), not inline',
  sender_mismatch: 'sign envelopes with the identity you authenticated as',
  signature_invalid:
    'sign with Ed25519 over the JCS form of every field but signature, after the last change',
  envelope_expired: 'make a new envelope with a fresh timestamp',
  envelope_too_old: 'make a new envelope with a fresh timestamp',
  envelope_from_future: "check the sender's clock",
  envelope_replayed: 'it was already accepted; a new message needs a new id and nonce',
  recipient_is_topic: 'use publish for topic:<name> recipients',
  recipient_not_topic: 'use send_message for agent recipients',
};

/** A refused envelope as the PlexusError a single-envelope tool throws. */
export function refusalError(refusal: Refusal, root: string): PlexusError {
  const field = refusalField(root, refusal);
  const hint = HINTS[refusal.code];
  return new PlexusError(REFUSALS[refusal.code], refusal.code, `${field}: ${refusal.message}`, {
    field,
    ...(hint ? { hint } : {}),
  });
}

/** A refused envelope as one entry of a batch result. */
export function rejectedOutcome(refusal: Refusal, root: string): z.infer<typeof RejectedOutcome> {
  return {
    status: 'rejected',
    id: refusal.id,
    code: refusal.code,
    message: refusal.message,
    field: refusalField(root, refusal),
  };
}
