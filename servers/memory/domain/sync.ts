import { PlexusError } from '../../../lib/errors.ts';
import { MemoryRecord } from '../../../schemas/memory/record.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import type { MemoryContext } from './context.ts';
import { checkRecord, scopeKey } from './records.ts';
import type { Page, StoredRecord } from './store.ts';

export interface Rejection {
  index: number;
  id: string;
  code: string;
  message: string;
}

export interface PushResult {
  /** Records newly stored. */
  stored: number;
  /** Records already present (same content id): pushing twice, or by two paths, stores once. */
  duplicates: number;
  rejected: Rejection[];
}

/** A stored record as it travels: without the store's own position and derived end time. */
export function wireRecord(record: StoredRecord): MemoryRecord {
  const { seq: _seq, endedAt: _endedAt, ...rest } = record;
  return rest;
}

/**
 * Federation sync. Records are immutable and content-addressed, and invalidations are records too, so
 * applying the same set in any order, any number of times, gives the same state.
 */
export class Sync {
  readonly #ctx: MemoryContext;

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx;
  }

  /**
   * Stores signed records. Each must carry a valid signature by its author; private records only from
   * their author; group records only by members. Bad records are rejected one by one, the rest stored.
   */
  async push(actor: string, input: readonly unknown[]): Promise<PushResult> {
    const records = input.map((r, i) => parseOrThrow(MemoryRecord, r, `records.${i}`));
    const rejected: Rejection[] = [];
    const accepted: MemoryRecord[] = [];
    for (const [index, record] of records.entries()) {
      const problem = await this.#problem(actor, record);
      if (problem) rejected.push({ index, id: record.id, ...problem });
      else accepted.push(record);
    }
    const stored = await this.#ctx.store.write((tx) => tx.insert(accepted));
    return { stored: stored.length, duplicates: accepted.length - stored.length, rejected };
  }

  async #problem(actor: string, record: MemoryRecord): Promise<{ code: string; message: string } | null> {
    const bad = await checkRecord(record, true, this.#ctx.keys);
    if (bad === 'id_mismatch') return { code: bad, message: 'id is not the content id of the record' };
    if (bad === 'signature_missing') return { code: bad, message: 'records must be signed by their author' };
    if (bad === 'signature_invalid')
      return { code: bad, message: `signature does not verify for ${record.author}` };
    if (record.scope.kind === 'private' && record.author !== actor) {
      return { code: 'forbidden', message: 'a private record can only be pushed by its author' };
    }
    if (
      record.scope.kind === 'group' &&
      !(await this.#ctx.store.isMember(record.scope.group ?? '', record.author))
    ) {
      return {
        code: 'not_group_member',
        message: `${record.author} is not a member of ${scopeKey(record.scope)}`,
      };
    }
    return null;
  }

  /**
   * Every record that became visible to the actor after `cursor` (appended since, or older records of a
   * group it joined since), in stream order, and the actor's groups.
   */
  async pull(
    actor: string,
    cursor: string | null,
    limit: number,
  ): Promise<Page<MemoryRecord> & { groups: string[] }> {
    const page = await this.#ctx.store.changes(actor, cursor, limit);
    return { ...page, items: page.items.map(wireRecord), groups: await this.#ctx.store.groupsOf(actor) };
  }

  /**
   * Stores records pulled from a peer we trust to have checked them (the federation): ids must match the
   * content (a peer that breaks that is refused outright). A signature, when present, must verify by its
   * author's keys: one that no longer does (its author revoked since it was pushed, say) is left out and
   * reported, so it cannot hold up every later pull. Returns the newly stored and the left out.
   */
  async ingest(records: readonly MemoryRecord[]): Promise<{ stored: StoredRecord[]; rejected: Rejection[] }> {
    const rejected: Rejection[] = [];
    const accepted: MemoryRecord[] = [];
    for (const [index, record] of records.entries()) {
      const bad = await checkRecord(record, false, this.#ctx.keys);
      if (bad === 'id_mismatch')
        throw new PlexusError('invalid', bad, `records.${index}: id mismatch`, { field: `records.${index}` });
      if (bad)
        rejected.push({
          index,
          id: record.id,
          code: bad,
          message: `signature does not verify for ${record.author}`,
        });
      else accepted.push(record);
    }
    return { stored: await this.#ctx.store.write((tx) => tx.insert(accepted)), rejected };
  }
}
