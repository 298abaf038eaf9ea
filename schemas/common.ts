import { z } from 'zod';
import { invalid, type PlexusError } from './errors.ts';

/** An Ed25519 did:key and an X25519 multibase key, as text; lib/crypto/multikey.ts encodes and decodes them. */
export const DID_KEY_PATTERN = /^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/;
export const X25519_MULTIBASE_PATTERN = /^z6LS[1-9A-HJ-NP-Za-km-z]{44}$/;

/** `did:key` of an Ed25519 key (`did:key:z6Mk…`), the only DID method Plexus identities use. */
export const Did = z.string().max(64).regex(DID_KEY_PATTERN, 'must be an Ed25519 did:key (did:key:z6Mk…)');
export type Did = z.infer<typeof Did>;

/** An X25519 key-agreement public key as multibase (`z6LS…`). */
export const X25519Multibase = z
  .string()
  .max(64)
  .regex(X25519_MULTIBASE_PATTERN, 'must be a multibase X25519 key (z6LS…)');
export type X25519Multibase = z.infer<typeof X25519Multibase>;

export const TOPIC_PREFIX = 'topic:';
export const MAX_TOPIC_NAME_LENGTH = 128;
/** Lower-case words separated by `.`, `_`, `-` or `/`, e.g. `news`, `team.alpha/standup`. */
export const TOPIC_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?$/;
export const TopicName = z
  .string()
  .min(1)
  .max(MAX_TOPIC_NAME_LENGTH)
  .regex(TOPIC_NAME_PATTERN, 'must be lower-case letters, digits and . _ - / (not at either end)');
export type TopicName = z.infer<typeof TopicName>;

export const TOPIC_RECIPIENT_PATTERN = new RegExp(`^${TOPIC_PREFIX}${TOPIC_NAME_PATTERN.source.slice(1)}`);
/** `topic:<name>`: the recipient of a published (fan-out) envelope. */
export const TopicRecipient = z
  .string()
  .max(TOPIC_PREFIX.length + MAX_TOPIC_NAME_LENGTH)
  .regex(TOPIC_RECIPIENT_PATTERN, 'must be topic:<name> (lower-case letters, digits and . _ - /)');
export type TopicRecipient = z.infer<typeof TopicRecipient>;

/** Milliseconds since the Unix epoch, an integer: every wire timestamp. */
export const TimestampMs = z.int().nonnegative();
export type TimestampMs = z.infer<typeof TimestampMs>;

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url text. */
export const Base64Url = z.string().regex(BASE64URL_PATTERN, 'must be unpadded base64url');
export type Base64Url = z.infer<typeof Base64Url>;

/** Unpadded base64url of exactly `bytes` bytes, in its one canonical spelling. */
export function base64UrlBytes(bytes: number): z.ZodString {
  const length = Math.ceil((bytes * 4) / 3);
  return z
    .string()
    .length(length, `must be base64url of ${bytes} bytes (${length} characters)`)
    .regex(BASE64URL_PATTERN, 'must be unpadded base64url')
    .refine(
      (text) => Buffer.from(text, 'base64url').toString('base64url') === text,
      `must be canonical base64url of ${bytes} bytes`,
    );
}

/** Ed25519 signature: base64url of 64 bytes. */
export const Signature = base64UrlBytes(64);
export type Signature = z.infer<typeof Signature>;

/** UUID version 7 (time-ordered), lower-case hex. */
export const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const UuidV7 = z.string().regex(UUIDV7_PATTERN, 'must be a lower-case UUIDv7');
export type UuidV7 = z.infer<typeof UuidV7>;

/** Any JSON value (no undefined, functions, NaN or Infinity). */
export const JsonValue = z.json();
export type JsonValue = z.infer<typeof JsonValue>;

/** UTF-8 size of a value's JSON text, for size limits. */
export function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** A field path as PlexusError names it: dotted, array indices as numbers (`history.0.state`). */
export function fieldPath(root: string | undefined, path: readonly PropertyKey[]): string {
  const parts = [...(root ? [root] : []), ...path.map((p) => (typeof p === 'symbol' ? String(p) : `${p}`))];
  return parts.length > 0 ? parts.join('.') : '(value)';
}

interface Problem {
  field: string;
  message: string;
}

function problems(error: z.ZodError, root: string | undefined): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    // Unknown keys are reported on their parent; name each key itself.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: fieldPath(root, [...issue.path, key]),
        message: 'unknown field',
      }));
    }
    return [{ field: fieldPath(root, issue.path), message: issue.message }];
  });
}

/** `field: message; field: message` for every issue, each field named by its full path. */
export function formatZodError(error: z.ZodError, root?: string): string {
  return problems(error, root)
    .map((p) => `${p.field}: ${p.message}`)
    .join('; ');
}

/** The PlexusError (`invalid`) for a failed parse, its `field` the first offending path. */
export function zodErrorToPlexus(error: z.ZodError, root?: string): PlexusError {
  const all = problems(error, root);
  const first = all[0] ?? { field: fieldPath(root, []), message: 'invalid' };
  const rest = all.slice(1).map((p) => `${p.field}: ${p.message}`);
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.join('; ')})` : '';
  return invalid(first.field, first.message + more);
}

/** Parses `value` with `schema`, or throws `invalid(field, message)` naming the offending path under `what`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodErrorToPlexus(result.error, what);
  return result.data;
}

/** Human-readable text of 1..max characters: no control characters, no surrounding whitespace. */
export function label(max: number): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(
      /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u,
      'must be text without control characters or surrounding spaces',
    );
}
