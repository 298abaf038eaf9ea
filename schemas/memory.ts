import { z } from 'zod';
import { Did, JsonValue, TimestampMs, UuidV7, jsonSize, label } from './common.ts';

export const MAX_OBSERVATION_LENGTH = 4096;
export const MAX_OBSERVATIONS = 1000;
export const MAX_EPISODE_LENGTH = 32 * 1024;

/** A sharing group's name, e.g. `team-alpha`. */
export const GroupName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits and . _ -');

/** Who may read a memory record: its owner only, the members of a group, or everyone. */
export const Scope = z
  .strictObject({
    kind: z.enum(['private', 'group', 'public']),
    group: GroupName.optional(),
  })
  .superRefine((scope, ctx) => {
    if (scope.kind === 'group' && scope.group === undefined) {
      ctx.addIssue({ code: 'custom', path: ['group'], message: 'required when kind is group' });
    }
    if (scope.kind !== 'group' && scope.group !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['group'], message: 'only allowed when kind is group' });
    }
  });
export type Scope = z.infer<typeof Scope>;

/** Where a record came from: who asserted it, from what, and how sure they were. */
export const Provenance = z.strictObject({
  author: Did,
  /** e.g. `conversation:<thread>`, `tool:web_fetch`, `sync:<peer did>`. */
  source: z.string().min(1).max(256).optional(),
  confidence: z.number().min(0).max(1).optional(),
  recordedAt: TimestampMs,
});
export type Provenance = z.infer<typeof Provenance>;

/** When a fact holds in the world (not when it was stored): validTo null means still valid. */
export const Validity = z
  .strictObject({ validFrom: TimestampMs, validTo: TimestampMs.nullable() })
  .refine((v) => v.validTo === null || v.validTo >= v.validFrom, {
    path: ['validTo'],
    message: 'must not be before validFrom',
  });
export type Validity = z.infer<typeof Validity>;

export const EntityName = label(256);
export const EntityType = label(64);
export const RelationType = label(64);
export const ObservationText = label(MAX_OBSERVATION_LENGTH);

/** A knowledge-graph node, in the shape of the MCP reference memory server. */
export const Entity = z.strictObject({
  name: EntityName,
  entityType: EntityType,
  observations: z.array(ObservationText).max(MAX_OBSERVATIONS),
});
export type Entity = z.infer<typeof Entity>;

/** A directed edge, in active voice: `from` `relationType` `to`. */
export const Relation = z.strictObject({
  from: EntityName,
  to: EntityName,
  relationType: RelationType,
});
export type Relation = z.infer<typeof Relation>;

/** One stored fact about an entity, with where it came from and when it holds. */
export const Observation = z.strictObject({
  entityName: EntityName,
  content: ObservationText,
  scope: Scope,
  provenance: Provenance,
  validity: Validity,
});
export type Observation = z.infer<typeof Observation>;

/** Something that happened: a conversation, a task run, an event an agent lived through. */
export const Episode = z
  .strictObject({
    id: UuidV7,
    agent: Did,
    content: z.string().min(1).max(MAX_EPISODE_LENGTH),
    summary: z.string().max(2000).optional(),
    occurredAt: TimestampMs,
    thread: z.string().min(1).max(128).optional(),
    participants: z.array(Did).max(64),
    tags: z.array(label(64)).max(32),
    scope: Scope,
    provenance: Provenance,
  })
  .refine((e) => e.participants.length === new Set(e.participants).size, {
    path: ['participants'],
    message: 'must not repeat a DID',
  });
export type Episode = z.infer<typeof Episode>;

export const MEMORY_ITEM_KINDS = ['entity', 'relation', 'observation', 'episode', 'note'] as const;
export const MemoryItemKind = z.enum(MEMORY_ITEM_KINDS);
export type MemoryItemKind = z.infer<typeof MemoryItemKind>;

/**
 * The unit memory search returns and federation syncs: any record, with a text form for retrieval,
 * its scope, provenance and validity. `updatedAt` orders sync (last writer wins per id).
 */
export const MemoryItem = z.strictObject({
  id: UuidV7,
  kind: MemoryItemKind,
  text: z.string().min(1).max(MAX_EPISODE_LENGTH),
  data: JsonValue.refine((v) => jsonSize(v) <= 64 * 1024, 'must be at most 64 KiB of JSON').optional(),
  scope: Scope,
  provenance: Provenance,
  validity: Validity,
  createdAt: TimestampMs,
  updatedAt: TimestampMs,
  /** Set when the item was deleted (a tombstone, so deletions sync too). */
  deletedAt: TimestampMs.nullable(),
});
export type MemoryItem = z.infer<typeof MemoryItem>;
