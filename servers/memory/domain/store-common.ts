import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import { invalid } from '../../../lib/errors.ts';
import type { Page, StoredRecord } from './store.ts';

/** The indexed columns a record fills (the body stays the source of truth). */
export interface RecordColumns {
  /** entity.name, observation.entityName, relation.from, episode.thread */
  name: string | null;
  /** relation.to, episode.agent */
  name2: string | null;
  /** invalidation.target */
  target: string | null;
  occurredAt: number | null;
  /** Full-text indexed text: note text, episode content. */
  text: string | null;
}

export function columnsOf(record: MemoryRecord): RecordColumns {
  const none: RecordColumns = { name: null, name2: null, target: null, occurredAt: null, text: null };
  switch (record.kind) {
    case 'entity':
      return { ...none, name: record.body.name };
    case 'observation':
      return { ...none, name: record.body.entityName };
    case 'relation':
      return { ...none, name: record.body.from, name2: record.body.to };
    case 'invalidation':
      return { ...none, target: record.body.target };
    case 'episode':
      return {
        ...none,
        name: record.body.thread,
        name2: record.body.agent,
        occurredAt: record.body.occurredAt,
        text: record.body.content,
      };
    case 'note':
      return { ...none, text: record.body.text };
  }
}

/** A full-text query that ORs words (from `contentWords`), each quoted (no FTS syntax gets through). */
export function ftsQuery(words: readonly string[]): string {
  return [...new Set(words)].map((w) => `"${w}"`).join(' OR ');
}

const METADATA_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** JSON path of a metadata key; keys are restricted so the path needs no escaping. */
export function metadataPath(key: string): string {
  if (!METADATA_KEY.test(key)) throw new Error(`bad metadata key '${key}'`);
  return `$.metadata."${key}"`;
}

/** Cursors are opaque to callers: dot-joined integers, base64url. */
export function encodeCursor(parts: readonly number[]): string {
  return Buffer.from(parts.join('.')).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'cursor'): number[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('.').map(Number);
  if (parts.length === 0 || !parts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw invalid(field, 'not a cursor this server issued');
  }
  return parts;
}

/**
 * A place in one viewer's change stream. A record enters the stream at its own seq (phase 0) unless it
 * only became visible later, when the viewer joined its group: then it enters at the join's position
 * (phase 1), after the records appended up to that point.
 */
export interface ChangePosition {
  position: number;
  phase: 0 | 1;
  seq: number;
}

const STREAM_START: ChangePosition = { position: 0, phase: 0, seq: 0 };

function compareChanges(a: ChangePosition, b: ChangePosition): number {
  return a.position - b.position || a.phase - b.phase || a.seq - b.seq;
}

/** Phase-0 positions encode as the bare seq, the cursor format from before back-fill existed. */
export function encodeChangeCursor(at: ChangePosition): string {
  return encodeCursor(at.phase === 0 ? [at.seq] : [at.position, at.phase, at.seq]);
}

export function decodeChangeCursor(cursor: string | null): ChangePosition {
  if (cursor === null) return STREAM_START;
  const parts = decodeCursor(cursor);
  const [position = 0, phase, seq] = parts;
  if (parts.length === 1) return { position, phase: 0, seq: position };
  if (parts.length === 3 && phase === 1 && seq !== undefined && seq <= position) {
    return { position, phase, seq };
  }
  throw invalid('cursor', 'not a cursor this server issued');
}

/** The queries a store answers to build a change page (each in seq order, at most `limit` records). */
export interface ChangeSource {
  /** Records visible at their own seq and appended after `after`: public, own, or newer than the join. */
  fresh(after: number, limit: number): Promise<StoredRecord[]>;
  /** The viewer's memberships whose join position is `from` or later. */
  joins(from: number): Promise<{ group: string; joinedSeq: number }[]>;
  /** The group's records with after < seq ≤ joinedSeq that the viewer did not author (those were sent). */
  backfill(group: string, joinedSeq: number, after: number, limit: number): Promise<StoredRecord[]>;
}

/**
 * One page of a viewer's change stream after `cursor`, ordered by (position, phase, seq). Each query is
 * index-ordered and limited, so a pull reads at most `limit + 1` records per source; joins after the
 * cursor are rare, so the common pull is one range scan of the seq index.
 */
export async function changePage(
  source: ChangeSource,
  cursor: string | null,
  limit: number,
): Promise<Page<StoredRecord>> {
  const at = decodeChangeCursor(cursor);
  const candidates: { at: ChangePosition; record: StoredRecord }[] = (
    await source.fresh(at.position, limit + 1)
  ).map((record) => ({ at: { position: record.seq, phase: 0, seq: record.seq }, record }));
  for (const { group, joinedSeq } of await source.joins(at.position)) {
    const after = joinedSeq === at.position && at.phase === 1 ? at.seq : 0;
    for (const record of await source.backfill(group, joinedSeq, after, limit + 1)) {
      candidates.push({ at: { position: joinedSeq, phase: 1, seq: record.seq }, record });
    }
  }
  const sorted = candidates.sort((a, b) => compareChanges(a.at, b.at));
  const page = sorted.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((c) => c.record),
    cursor: last ? encodeChangeCursor(last.at) : cursor,
    more: sorted.length > limit,
  };
}

/** Runs async critical sections one at a time (a write transaction spans awaits on one connection). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
