import { z } from 'zod';
import {
  Did,
  JsonValue,
  Signature,
  TimestampMs,
  TOPIC_RECIPIENT_PATTERN,
  TOPIC_PREFIX,
  MAX_TOPIC_NAME_LENGTH,
  UuidV7,
  base64UrlBytes,
  jsonSize,
  DID_KEY_PATTERN,
} from './common.ts';
import { SealedPayload } from './sealed.ts';

/** Largest serialized (JSON, UTF-8) envelope the network carries: 64 KiB. Bigger data goes by reference. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
export const MAX_TYPE_LENGTH = 64;
export const MAX_THREAD_LENGTH = 128;
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TTL_SECONDS = 300;
export const DEFAULT_PRIORITY = 'normal';
export const NONCE_BYTES = 16;

/** `<namespace>/<name>`, e.g. `chat/message`, `task/assign`, `task/status`. */
export const ENVELOPE_TYPE_PATTERN = /^[a-z][a-z0-9-]*(?:\/[a-z][a-z0-9._-]*)+$/;
export const EnvelopeType = z
  .string()
  .max(MAX_TYPE_LENGTH)
  .regex(ENVELOPE_TYPE_PATTERN, 'must look like namespace/name (e.g. chat/message)');
export type EnvelopeType = z.infer<typeof EnvelopeType>;

export const Priority = z.enum(['low', 'normal', 'high', 'urgent']);
export type Priority = z.infer<typeof Priority>;

export const TtlSeconds = z.int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS);

/** A DID or `topic:<name>`. */
export const Recipient = z
  .string()
  .max(TOPIC_PREFIX.length + MAX_TOPIC_NAME_LENGTH)
  .refine(
    (r) => DID_KEY_PATTERN.test(r) || TOPIC_RECIPIENT_PATTERN.test(r),
    'must be an Ed25519 did:key or topic:<name>',
  );
export type Recipient = z.infer<typeof Recipient>;

/**
 * Metadata as signed on the wire: both fields explicit, so the signed bytes and the parsed value are the
 * same. Use EnvelopeMetadataInput where a caller may leave them out.
 */
export const EnvelopeMetadata = z.strictObject({ priority: Priority, ttl: TtlSeconds });
export type EnvelopeMetadata = z.infer<typeof EnvelopeMetadata>;

/** Metadata as a tool or API caller gives it: both fields optional, defaults filled in. */
export const EnvelopeMetadataInput = z.strictObject({
  priority: Priority.default(DEFAULT_PRIORITY),
  ttl: TtlSeconds.default(DEFAULT_TTL_SECONDS),
});
export type EnvelopeMetadataInput = z.input<typeof EnvelopeMetadataInput>;

export const Thread = z.string().min(1).max(MAX_THREAD_LENGTH);

/**
 * The signed message every agent exchange travels in. `signature` is Ed25519 by the sender's did:key over
 * the RFC 8785 canonical form of every other field; `expires` = `timestamp` + `metadata.ttl` seconds;
 * exactly one of `content` (plaintext JSON) or `enc` (sealed for the recipient) is present.
 */
export const Envelope = z
  .strictObject({
    id: UuidV7,
    type: EnvelopeType,
    sender: Did,
    recipient: Recipient,
    timestamp: TimestampMs,
    expires: TimestampMs,
    nonce: base64UrlBytes(NONCE_BYTES),
    thread: Thread.optional(),
    metadata: EnvelopeMetadata,
    content: JsonValue.optional(),
    enc: SealedPayload.optional(),
    signature: Signature,
  })
  .superRefine((env, ctx) => {
    const hasContent = env.content !== undefined;
    const hasEnc = env.enc !== undefined;
    if (hasContent === hasEnc) {
      ctx.addIssue({
        code: 'custom',
        path: [hasContent ? 'enc' : 'content'],
        message: hasContent
          ? 'give either content or enc, not both'
          : 'missing: give content (plaintext) or enc (sealed)',
      });
    }
    if (env.expires !== env.timestamp + env.metadata.ttl * 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['expires'],
        message: 'must equal timestamp + metadata.ttl * 1000',
      });
    }
    if (hasEnc && env.recipient.startsWith(TOPIC_PREFIX)) {
      ctx.addIssue({
        code: 'custom',
        path: ['enc'],
        message: 'a topic envelope cannot be sealed (it has no single recipient key)',
      });
    }
    const size = jsonSize(env);
    if (size > MAX_ENVELOPE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `envelope is ${size} bytes, more than the ${MAX_ENVELOPE_BYTES}-byte limit`,
      });
    }
  });
export type Envelope = z.infer<typeof Envelope>;

/** An envelope before signing. */
export type UnsignedEnvelope = Omit<Envelope, 'signature'>;
