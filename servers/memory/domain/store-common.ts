import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import { invalid } from '../../../lib/errors.ts';

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

/** Runs async critical sections one at a time (a write transaction spans awaits on one connection). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
