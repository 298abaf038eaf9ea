import { z } from 'zod';
import { Did, JsonValue, Signature, TimestampMs, jsonSize, label } from '../common.ts';
import {
  EntityName,
  EntityType,
  GroupName,
  MAX_EPISODE_LENGTH,
  ObservationText,
  RelationType,
  Scope,
} from '../memory.ts';

/**
 * The unit of memory storage and federation sync: an immutable, content-addressed record. Graph facts,
 * episodes and notes are records; deleting or contradicting one appends an `invalidation` record naming it,
 * so history is kept, `as_of` queries work, and sync is idempotent and order-independent.
 */

/** base64url SHA-256 of the JCS form of the record without `id` and `signature` (43 characters). */
export const ContentId = z
  .string()
  .length(43)
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 content id');
export type ContentId = z.infer<typeof ContentId>;

export const MAX_NOTE_LENGTH = 16 * 1024;
export const MAX_METADATA_BYTES = 16 * 1024;

export const Metadata = z
  .record(z.string().min(1).max(64), JsonValue)
  .refine((m) => jsonSize(m) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
export type Metadata = z.infer<typeof Metadata>;

export const ThreadId = label(128);
export const EpisodeRole = label(32);

export const EntityBody = z.strictObject({ name: EntityName, entityType: EntityType });
export const ObservationBody = z.strictObject({ entityName: EntityName, content: ObservationText });
export const RelationBody = z.strictObject({ from: EntityName, to: EntityName, relationType: RelationType });
export const InvalidationBody = z.strictObject({ target: ContentId, reason: label(256).optional() });
export const EpisodeBody = z.strictObject({
  thread: ThreadId,
  role: EpisodeRole,
  content: z.string().min(1).max(MAX_EPISODE_LENGTH),
  /** The agent the episode belongs to (defaults to the author). */
  agent: Did,
  occurredAt: TimestampMs,
  metadata: Metadata.optional(),
});
export const NoteBody = z.strictObject({
  text: z.string().min(1).max(MAX_NOTE_LENGTH),
  metadata: Metadata.optional(),
});

const common = {
  id: ContentId,
  /** 16 random bytes (base64url): two equal facts recorded apart are distinct records. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 random bytes, base64url'),
  author: Did,
  scope: Scope,
  /** When the author recorded it (transaction time). */
  recordedAt: TimestampMs,
  /** When it holds in the world (valid time); validTo null means open-ended. */
  validFrom: TimestampMs,
  validTo: TimestampMs.nullable(),
  /** Ed25519 by `author` over the JCS form of every other field; required for sync_push. */
  signature: Signature.optional(),
};

export const MemoryRecord = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...common, kind: z.literal('entity'), body: EntityBody }),
    z.strictObject({ ...common, kind: z.literal('observation'), body: ObservationBody }),
    z.strictObject({ ...common, kind: z.literal('relation'), body: RelationBody }),
    z.strictObject({ ...common, kind: z.literal('invalidation'), body: InvalidationBody }),
    z.strictObject({ ...common, kind: z.literal('episode'), body: EpisodeBody }),
    z.strictObject({ ...common, kind: z.literal('note'), body: NoteBody }),
  ])
  .refine((r) => r.validTo === null || r.validTo > r.validFrom, {
    path: ['validTo'],
    message: 'must be after validFrom',
  });
export type MemoryRecord = z.infer<typeof MemoryRecord>;
export type RecordKind = MemoryRecord['kind'];
export type RecordOf<K extends RecordKind> = Extract<MemoryRecord, { kind: K }>;

export { GroupName, Scope };
