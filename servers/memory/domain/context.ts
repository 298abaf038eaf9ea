import type { Embedder } from '../../../lib/embedding/embedder.ts';
import { PlexusError } from '../../../lib/errors.ts';
import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import type { Scope } from '../../../schemas/memory.ts';
import { seal, scopeKey, type RecordKeys, type RecordSigner, type Unsealed } from './records.ts';
import type { MemoryStore, MemoryWriter, StoredRecord } from './store.ts';

/** What every part of memory shares: the store, the embedder, the clock, authors' keys and (agent-local) a signer. */
export interface MemoryContext {
  store: MemoryStore;
  embedder: Embedder;
  now: () => number;
  /** Signs records authored by its DID (an agent's local memory); absent on the federation server. */
  signer?: RecordSigner | undefined;
  /** Authors' signing keys, to check records that arrive by sync. */
  keys: RecordKeys;
}

/** When a fact holds; defaults to "from now on". */
export interface ValidityInput {
  valid_from?: number | undefined;
  valid_to?: number | undefined;
}

export function validity(
  input: ValidityInput,
  now: number,
  field = '',
): { validFrom: number; validTo: number | null } {
  const validFrom = input.valid_from ?? now;
  const validTo = input.valid_to ?? null;
  if (validTo !== null && validTo <= validFrom) {
    throw new PlexusError('invalid', 'invalid_input', `${field}valid_to: must be after valid_from`, {
      field: `${field}valid_to`,
    });
  }
  return { validFrom, validTo };
}

/** Refuses a write into a scope the actor may not write: a group it is not a member of. */
export async function checkWritable(ctx: MemoryContext, actor: string, scope: Scope): Promise<void> {
  if (scope.kind !== 'group') return;
  const group = scope.group ?? '';
  if (!(await ctx.store.isMember(group, actor))) {
    throw new PlexusError('forbidden', 'not_group_member', `${actor} is not a member of group '${group}'`, {
      hint: 'ask the group owner to add you (add_group_member)',
    });
  }
}

/** May `actor` end (invalidate) this record? Its author may; in a group scope, so may any member. */
export async function mayEnd(ctx: MemoryContext, actor: string, record: StoredRecord): Promise<boolean> {
  if (record.author === actor) return true;
  return record.scope.kind === 'group' && ctx.store.isMember(record.scope.group ?? '', actor);
}

export function sealRecord<R extends MemoryRecord>(ctx: MemoryContext, draft: Unsealed<R>): R {
  return seal<R>(draft, ctx.signer);
}

/** The invalidation record ending `target`, in the target's scope so it travels where the target does. */
export function invalidation(
  ctx: MemoryContext,
  actor: string,
  target: StoredRecord,
  at: number,
  reason?: string,
): MemoryRecord {
  return sealRecord(ctx, {
    kind: 'invalidation',
    author: actor,
    scope: target.scope,
    recordedAt: at,
    validFrom: at,
    validTo: null,
    body: reason === undefined ? { target: target.id } : { target: target.id, reason },
  });
}

/** Ends every record in `targets` that the actor may end; throws `forbidden` naming the first it may not. */
export async function endAll(
  ctx: MemoryContext,
  tx: MemoryWriter,
  actor: string,
  targets: readonly StoredRecord[],
  at: number,
  reason?: string,
): Promise<void> {
  for (const target of targets) {
    if (!(await mayEnd(ctx, actor, target))) {
      throw new PlexusError(
        'forbidden',
        'not_author',
        `${target.kind} ${target.id} in scope ${scopeKey(target.scope)} belongs to ${target.author}`,
        { hint: 'only its author (or, in a group, a member) may delete or replace it' },
      );
    }
  }
  await tx.insert(targets.map((t) => invalidation(ctx, actor, t, at, reason)));
}

/** A record's effective end: its own validTo or its invalidation, whichever is first. */
export function effectiveEnd(record: StoredRecord): number | null {
  if (record.validTo === null) return record.endedAt;
  if (record.endedAt === null) return record.validTo;
  return Math.min(record.validTo, record.endedAt);
}

/** Provenance and validity as the wire shows them (schemas/memory.ts). */
export function describe(record: StoredRecord): {
  id: string;
  scope: Scope;
  provenance: { author: string; recordedAt: number };
  validity: { validFrom: number; validTo: number | null };
} {
  return {
    id: record.id,
    scope: record.scope,
    provenance: { author: record.author, recordedAt: record.recordedAt },
    validity: { validFrom: record.validFrom, validTo: effectiveEnd(record) },
  };
}
