import type { MemoryRecord, RecordKind } from '../../../schemas/memory/record.ts';

/** A record as stored: its append position and, once invalidated, when it stopped holding. */
export type StoredRecord = MemoryRecord & {
  /** Append order in this store (the sync cursor); not part of the record. */
  seq: number;
  /** valid_from of the earliest authorized invalidation, or null. */
  endedAt: number | null;
};

/** Which records a query may see and at what time. */
export interface RecordQuery {
  kinds: readonly RecordKind[];
  /** The subject whose visibility applies: own private records, member groups, public. */
  viewer: string;
  /** Only records valid at this time (validity and invalidations); omit for all of history. */
  at?: number;
  /** Only this scope key (`private`, `public`, `group:<name>`). */
  scope?: string;
  /** Entity names: entity.name, observation.entityName, relation from or to. */
  names?: readonly string[];
  /** Invalidations of these record ids. */
  targets?: readonly string[];
  ids?: readonly string[];
}

export interface EpisodeQuery {
  viewer: string;
  thread?: string;
  agent?: string;
  /** occurredAt ≥ since and < until. */
  since?: number;
  until?: number;
  /** Full-text match on the content. */
  text?: string;
  order: 'asc' | 'desc';
  /** Opaque position from a previous page. */
  cursor?: string;
  limit: number;
}

export interface NoteFilter {
  viewer: string;
  at: number;
  scope?: string;
  author?: string;
  /** metadata.<key> equals value, for every entry. */
  metadata?: Readonly<Record<string, string | number | boolean>>;
}

export interface Ranked {
  record: StoredRecord;
  /** BM25 (lower is better, SQLite convention) or cosine similarity (higher is better). */
  score: number;
}

/** One vector space: an embedder at one dimension. Vectors from different spaces are never compared. */
export interface VectorSpace {
  id: number;
  embedder: string;
  dimension: number;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
  more: boolean;
}

/** What a write transaction can do; its reads see its own writes. */
export interface MemoryWriter {
  records(query: RecordQuery): Promise<StoredRecord[]>;
  /** Appends records; ones already stored (same content id) are skipped. Returns the newly stored. */
  insert(records: readonly MemoryRecord[]): Promise<StoredRecord[]>;
  putVectors(spaceId: number, items: readonly { seq: number; vector: Float32Array }[]): Promise<void>;
}

/** Where a local store stands with a sync peer. */
export interface SyncState {
  /** Last local position pushed. */
  pushCursor: string | null;
  /** The peer's cursor after the last pull. */
  pullCursor: string | null;
}

/**
 * Memory persistence. Implementations: SQLite (+ FTS5, an in-memory vector index) and PostgreSQL, run by the same
 * contract suite (store.contract.ts). Records are immutable; the only derived state is `endedAt`, the
 * full-text index and per-space vectors.
 */
export interface MemoryStore {
  /** Runs `fn` as one write transaction, serialized against every other writer, in any process. */
  write<T>(fn: (tx: MemoryWriter) => Promise<T>): Promise<T>;
  records(query: RecordQuery): Promise<StoredRecord[]>;
  episodes(query: EpisodeQuery): Promise<Page<StoredRecord>>;
  /**
   * Every record that became visible to `viewer` after `cursor`: records appended since, in append order,
   * and, at the point where the viewer joined a group, that group's older records (not the viewer's own).
   * Re-joining a group sends its records again; records are content-addressed, so that is harmless.
   */
  changes(viewer: string, cursor: string | null, limit: number): Promise<Page<StoredRecord>>;

  /** Notes matching `text` by BM25, best first. */
  searchText(text: string, filter: NoteFilter, limit: number): Promise<Ranked[]>;
  /** The vector space for an embedder and dimension, created on first use. */
  space(embedder: string, dimension: number): Promise<VectorSpace>;
  /** Every space, with how many notes have a vector in it. */
  spaces(): Promise<(VectorSpace & { vectors: number })[]>;
  putVectors(spaceId: number, items: readonly { seq: number; vector: Float32Array }[]): Promise<void>;
  /** Notes (current or not) without a vector in the space, oldest first. */
  unembedded(spaceId: number, limit: number): Promise<StoredRecord[]>;
  /** Nearest notes by cosine similarity, best first (approximate candidates allowed; scores are exact). */
  searchVector(spaceId: number, vector: Float32Array, filter: NoteFilter, limit: number): Promise<Ranked[]>;
  /** Loads what searchVector needs for the space ahead of the first query (nothing, for an exact scan). */
  prepareVectors(space: VectorSpace): Promise<void>;

  getSyncState(peer: string): Promise<SyncState>;
  setSyncState(peer: string, state: SyncState): Promise<void>;

  createGroup(name: string, owner: string, at: number): Promise<boolean>;
  groupOwner(name: string): Promise<string | null>;
  /** Adds (at the current end of the record sequence: see `changes`) or removes a member. */
  setMember(group: string, member: string, present: boolean, at: number): Promise<boolean>;
  members(group: string): Promise<string[]>;
  groupsOf(member: string): Promise<string[]>;
  isMember(group: string, member: string): Promise<boolean>;

  close(): Promise<void>;
}
