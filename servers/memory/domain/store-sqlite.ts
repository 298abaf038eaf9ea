import type { Statement } from 'better-sqlite3';
import { migrateSqlite, openSqlite, type Sqlite } from '../../../lib/store/sqlite.ts';
import type { Logger } from '../../../lib/log.ts';
import type { Migration } from '../../../lib/store/migrations.ts';
import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import { dot } from '../../../lib/embedding/embedder.ts';
import { scopeFromKey, scopeKey } from './records.ts';
import {
  type EpisodeQuery,
  type MemoryStore,
  type MemoryWriter,
  type NoteFilter,
  type Page,
  type Ranked,
  type RecordQuery,
  type StoredRecord,
  type SyncState,
  type VectorSpace,
} from './store.ts';
import { contentWords } from '../../../lib/embedding/lexical.ts';
import { QuantizedIndex } from './vector-index.ts';
import {
  changePage,
  columnsOf,
  decodeCursor,
  encodeCursor,
  ftsQuery,
  metadataPath,
  Mutex,
} from './store-common.ts';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'records, full-text indexes, groups, vector spaces',
    sql: `
      CREATE TABLE memory_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        nonce TEXT NOT NULL,
        kind TEXT NOT NULL,
        author TEXT NOT NULL,
        scope TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_to INTEGER,
        ended_at INTEGER,
        name TEXT,
        name2 TEXT,
        target TEXT,
        occurred_at INTEGER,
        body TEXT NOT NULL,
        signature TEXT
      );
      CREATE INDEX memory_records_name ON memory_records (name, kind);
      CREATE INDEX memory_records_name2 ON memory_records (name2, kind);
      CREATE INDEX memory_records_target ON memory_records (target) WHERE target IS NOT NULL;
      CREATE INDEX memory_records_kind ON memory_records (kind, seq);
      CREATE INDEX memory_records_episodes ON memory_records (occurred_at, seq) WHERE kind = 'episode';
      CREATE VIRTUAL TABLE memory_note_text USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');
      CREATE VIRTUAL TABLE memory_episode_text USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2');
      CREATE TABLE memory_groups (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE memory_group_members (
        group_name TEXT NOT NULL REFERENCES memory_groups (name),
        member TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (group_name, member)
      );
      CREATE INDEX memory_group_members_member ON memory_group_members (member);
      CREATE TABLE memory_vector_spaces (
        id INTEGER PRIMARY KEY,
        embedder TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (embedder, dimension)
      );
      CREATE TABLE memory_sync_state (peer TEXT PRIMARY KEY, push_cursor TEXT, pull_cursor TEXT);
    `,
  },
  {
    version: 2,
    name: 'group members join at a position in the record sequence',
    // Owners (added when the group was created) saw every group record as it was appended: 0. A member
    // added later may have pulled past older group records before this existed; the current end of the
    // sequence makes its next pull send the group's records once more, so it catches up.
    sql: `
      ALTER TABLE memory_group_members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 0;
      UPDATE memory_group_members SET joined_seq = (SELECT coalesce(max(seq), 0) FROM memory_records)
        WHERE added_at > (SELECT g.created_at FROM memory_groups g WHERE g.name = group_name);
      CREATE INDEX memory_records_scope ON memory_records (scope, seq);
    `,
  },
];

interface Row {
  seq: number;
  id: string;
  nonce: string;
  kind: string;
  author: string;
  scope: string;
  recorded_at: number;
  valid_from: number;
  valid_to: number | null;
  ended_at: number | null;
  body: string;
  signature: string | null;
}

/** The smallest candidate set BM25 ranks before filtering. */
const MIN_CANDIDATES = 32;
/** Sign-bit candidates rescored in int8 per query: at 100k notes they keep ≈ 92% of the exact top 10. */
const VECTOR_CANDIDATES = 1024;
/**
 * A query word found in more notes than this only adds to BM25 scores when the query has no rarer word (the
 * "common terms" cut-off of search engines): ranking every note that holds a very common word made BM25's
 * p95 four times its median at 100k notes. The vector retriever still weighs every word.
 */
const COMMON_TERM_NOTES = 1000;

const VISIBLE = `(r.author = @viewer OR r.scope = 'public' OR r.scope IN
  (SELECT 'group:' || group_name FROM memory_group_members WHERE member = @viewer))`;
/** Visible at its own seq in a change stream: a group's older records reach a new member by back-fill. */
const FRESH = `(r.author = @viewer OR r.scope = 'public' OR (r.scope LIKE 'group:%' AND EXISTS
  (SELECT 1 FROM memory_group_members m WHERE m.group_name = substr(r.scope, 7) AND m.member = @viewer
   AND m.joined_seq < r.seq)))`;
const VALID_AT = `(r.valid_from <= @at AND (r.valid_to IS NULL OR r.valid_to > @at)
  AND (r.ended_at IS NULL OR r.ended_at > @at))`;
/** May invalidation author @author end record t? Its author may; so may members of its group. */
const MAY_END = (t: string, author: string): string => `(${t}.author = ${author} OR (${t}.scope LIKE 'group:%'
  AND EXISTS (SELECT 1 FROM memory_group_members m WHERE m.group_name = substr(${t}.scope, 7) AND m.member = ${author})))`;

function toRecord(row: Row): StoredRecord {
  return {
    id: row.id,
    nonce: row.nonce,
    kind: row.kind,
    author: row.author,
    scope: scopeFromKey(row.scope),
    recordedAt: row.recorded_at,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    body: JSON.parse(row.body) as unknown,
    ...(row.signature === null ? {} : { signature: row.signature }),
    seq: row.seq,
    endedAt: row.ended_at,
  } as StoredRecord;
}

function vectorBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A space's in-memory index and the `PRAGMA data_version` it reflects (other connections' commits bump it). */
interface LoadedIndex {
  index: QuantizedIndex;
  dataVersion: number;
}

function blobVector(b: Buffer): Float32Array {
  // A Float32Array view needs a 4-byte-aligned offset; copy only when the blob's is not.
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface SqliteMemoryStoreOptions {
  /** File path or ':memory:'. */
  path: string;
  /** Told when an existing file had to be made owner-only. */
  log?: Logger | undefined;
}

export class SqliteMemoryStore implements MemoryStore {
  readonly db: Sqlite;
  readonly #statements = new Map<string, Statement>();
  readonly #writes = new Mutex();
  readonly #indexes = new Map<number, LoadedIndex>();
  /** Vectors written by the open transaction: they reach the indexes only once it commits. */
  #uncommitted: { spaceId: number; seq: number; vector: Float32Array }[] = [];

  constructor(options: SqliteMemoryStoreOptions) {
    this.db = openSqlite({ path: options.path, log: options.log });
    migrateSqlite(this.db, 'memory', MIGRATIONS);
  }

  #sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  async write<T>(fn: (tx: MemoryWriter) => Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      // IMMEDIATE takes the write lock up front, so a read-check-write in fn cannot race another process;
      // the connection's busy_timeout makes a second process wait rather than fail.
      this.db.exec('BEGIN IMMEDIATE');
      this.#uncommitted = [];
      try {
        const result = await fn({
          records: (query) => this.records(query),
          insert: (records) => Promise.resolve(this.#insert(records)),
          putVectors: (spaceId, items) => Promise.resolve(this.#putVectors(spaceId, items)),
        });
        this.db.exec('COMMIT');
        for (const { spaceId, seq, vector } of this.#uncommitted)
          this.#indexes.get(spaceId)?.index.add(seq, vector);
        this.#uncommitted = [];
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  #insert(records: readonly MemoryRecord[]): StoredRecord[] {
    const inserted: StoredRecord[] = [];
    const add = this
      .#sql(`INSERT INTO memory_records (id, nonce, kind, author, scope, recorded_at, valid_from,
      valid_to, name, name2, target, occurred_at, body, signature)
      VALUES (@id, @nonce, @kind, @author, @scope, @recordedAt, @validFrom, @validTo, @name, @name2, @target,
      @occurredAt, @body, @signature) ON CONFLICT (id) DO NOTHING`);
    for (const record of records) {
      const columns = columnsOf(record);
      const result = add.run({
        id: record.id,
        nonce: record.nonce,
        kind: record.kind,
        author: record.author,
        scope: scopeKey(record.scope),
        recordedAt: record.recordedAt,
        validFrom: record.validFrom,
        validTo: record.validTo,
        ...columns,
        body: JSON.stringify(record.body),
        signature: record.signature ?? null,
      });
      if (result.changes === 0) continue;
      const seq = Number(result.lastInsertRowid);
      if (columns.text !== null) {
        const table = record.kind === 'note' ? 'memory_note_text' : 'memory_episode_text';
        this.#sql(`INSERT INTO ${table} (rowid, text) VALUES (?, ?)`).run(seq, columns.text);
      }
      if (record.kind === 'invalidation') {
        this.#sql(
          `UPDATE memory_records AS t SET ended_at = min(coalesce(t.ended_at, @at), @at)
          WHERE t.id = @target AND t.kind NOT IN ('episode', 'invalidation') AND ${MAY_END('t', '@author')}`,
        ).run({
          at: record.validFrom,
          target: record.body.target,
          author: record.author,
        });
      } else {
        // An invalidation may arrive (by sync) before the record it ends.
        this.#sql(
          `UPDATE memory_records AS t SET ended_at = (SELECT min(i.valid_from) FROM memory_records i
          WHERE i.target = t.id AND i.kind = 'invalidation' AND ${MAY_END('t', 'i.author')})
          WHERE t.seq = ? AND t.kind != 'episode'`,
        ).run(seq);
      }
      const row = this.#sql('SELECT * FROM memory_records WHERE seq = ?').get(seq) as Row;
      inserted.push(toRecord(row));
    }
    return inserted;
  }

  records(query: RecordQuery): Promise<StoredRecord[]> {
    const where = [`r.kind IN (SELECT value FROM json_each(@kinds))`, VISIBLE];
    const params: Record<string, unknown> = {
      kinds: JSON.stringify(query.kinds),
      viewer: query.viewer,
    };
    if (query.at !== undefined) {
      where.push(VALID_AT);
      params['at'] = query.at;
    }
    if (query.scope !== undefined) {
      where.push('r.scope = @scope');
      params['scope'] = query.scope;
    }
    if (query.names !== undefined) {
      where.push(`(r.name IN (SELECT value FROM json_each(@names))
        OR (r.kind = 'relation' AND r.name2 IN (SELECT value FROM json_each(@names))))`);
      params['names'] = JSON.stringify(query.names);
    }
    if (query.targets !== undefined) {
      where.push('r.target IN (SELECT value FROM json_each(@targets))');
      params['targets'] = JSON.stringify(query.targets);
    }
    if (query.ids !== undefined) {
      where.push('r.id IN (SELECT value FROM json_each(@ids))');
      params['ids'] = JSON.stringify(query.ids);
    }
    const rows = this.#sql(
      `SELECT r.* FROM memory_records r WHERE ${where.join(' AND ')} ORDER BY r.seq`,
    ).all(params) as Row[];
    return Promise.resolve(rows.map(toRecord));
  }

  episodes(query: EpisodeQuery): Promise<Page<StoredRecord>> {
    const where = [`r.kind = 'episode'`, VISIBLE];
    const params: Record<string, unknown> = { viewer: query.viewer, limit: query.limit + 1 };
    if (query.thread !== undefined) {
      where.push('r.name = @thread');
      params['thread'] = query.thread;
    }
    if (query.agent !== undefined) {
      where.push('r.name2 = @agent');
      params['agent'] = query.agent;
    }
    if (query.since !== undefined) {
      where.push('r.occurred_at >= @since');
      params['since'] = query.since;
    }
    if (query.until !== undefined) {
      where.push('r.occurred_at < @until');
      params['until'] = query.until;
    }
    if (query.text !== undefined) {
      where.push('r.seq IN (SELECT rowid FROM memory_episode_text WHERE memory_episode_text MATCH @text)');
      params['text'] = ftsQuery(contentWords(query.text));
    }
    const dir = query.order === 'asc' ? '>' : '<';
    if (query.cursor !== undefined) {
      const [at, seq] = decodeCursor(query.cursor);
      where.push(`(r.occurred_at ${dir} @cAt OR (r.occurred_at = @cAt AND r.seq ${dir} @cSeq))`);
      params['cAt'] = at;
      params['cSeq'] = seq;
    }
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows = this.#sql(
      `SELECT r.* FROM memory_records r WHERE ${where.join(' AND ')}
       ORDER BY r.occurred_at ${order}, r.seq ${order} LIMIT @limit`,
    ).all(params) as (Row & { occurred_at: number })[];
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return Promise.resolve({
      items: page.map(toRecord),
      cursor: last ? encodeCursor([last.occurred_at, last.seq]) : (query.cursor ?? null),
      more,
    });
  }

  changes(viewer: string, cursor: string | null, limit: number): Promise<Page<StoredRecord>> {
    const rows = (sql: string, params: Record<string, unknown>): Promise<StoredRecord[]> =>
      Promise.resolve((this.#sql(sql).all({ viewer, ...params }) as Row[]).map(toRecord));
    return changePage(
      {
        fresh: (after, n) =>
          rows(`SELECT r.* FROM memory_records r WHERE r.seq > @after AND ${FRESH} ORDER BY r.seq LIMIT @n`, {
            after,
            n,
          }),
        joins: (from) => {
          const joined = this.#sql(
            `SELECT group_name, joined_seq FROM memory_group_members WHERE member = ? AND joined_seq >= ?`,
          ).all(viewer, from) as { group_name: string; joined_seq: number }[];
          return Promise.resolve(joined.map((j) => ({ group: j.group_name, joinedSeq: j.joined_seq })));
        },
        backfill: (group, joined, after, n) =>
          rows(
            `SELECT r.* FROM memory_records r WHERE r.scope = @scope AND r.seq > @after AND r.seq <= @joined
             AND r.author != @viewer ORDER BY r.seq LIMIT @n`,
            { scope: `group:${group}`, joined, after, n },
          ),
      },
      cursor,
      limit,
    );
  }

  #noteFilter(filter: NoteFilter, params: Record<string, unknown>): string {
    const where = [`r.kind = 'note'`, VISIBLE, VALID_AT];
    params['viewer'] = filter.viewer;
    params['at'] = filter.at;
    if (filter.scope !== undefined) {
      where.push('r.scope = @scope');
      params['scope'] = filter.scope;
    }
    if (filter.author !== undefined) {
      where.push('r.author = @author');
      params['author'] = filter.author;
    }
    Object.entries(filter.metadata ?? {}).forEach(([key, value], i) => {
      where.push(`json_extract(r.body, @mk${i}) = @mv${i}`);
      params[`mk${i}`] = metadataPath(key);
      params[`mv${i}`] = typeof value === 'boolean' ? Number(value) : value;
    });
    return where.join(' AND ');
  }

  searchText(text: string, filter: NoteFilter, limit: number): Promise<Ranked[]> {
    const match = ftsQuery(this.#discriminating(contentWords(text)));
    if (match === '') return Promise.resolve([]);
    const ranked = this.#sql(
      'SELECT rowid, rank FROM memory_note_text WHERE memory_note_text MATCH ? ORDER BY rank LIMIT ?',
    );
    // Rank inside FTS5 first (cheap), then filter; widen the pool when filtering left too few.
    for (let pool = Math.max(limit, MIN_CANDIDATES); ; pool *= 8) {
      const hits = ranked.all(match, pool) as { rowid: number; rank: number }[];
      const rank = new Map(hits.map((h) => [h.rowid, h.rank]));
      const rows = this.#filtered(
        hits.map((h) => h.rowid),
        filter,
      );
      if (rows.length >= limit || hits.length < pool) {
        return Promise.resolve(
          rows
            .map((row) => ({ record: toRecord(row), score: rank.get(row.seq) ?? 0 }))
            .sort((a, b) => a.score - b.score)
            .slice(0, limit),
        );
      }
    }
  }

  /** The query's words without the very common ones, unless nothing rarer is left (see COMMON_TERM_NOTES). */
  #discriminating(words: readonly string[]): string[] {
    const unique = [...new Set(words)];
    if (unique.length < 2) return unique;
    const count = this.#sql(
      'SELECT count(*) AS n FROM (SELECT 1 FROM memory_note_text WHERE memory_note_text MATCH ? LIMIT ?)',
    );
    const rare = unique.filter(
      (w) => (count.get(ftsQuery([w]), COMMON_TERM_NOTES + 1) as { n: number }).n <= COMMON_TERM_NOTES,
    );
    return rare.length > 0 ? rare : unique;
  }

  /** The notes among `seqs` that pass the filter (visibility, validity, scope, author, metadata). */
  #filtered(seqs: readonly number[], filter: NoteFilter): Row[] {
    const params: Record<string, unknown> = { seqs: JSON.stringify(seqs) };
    return this.#sql(
      `SELECT r.* FROM memory_records r
       WHERE r.seq IN (SELECT value FROM json_each(@seqs)) AND ${this.#noteFilter(filter, params)}`,
    ).all(params) as Row[];
  }

  space(embedder: string, dimension: number): Promise<VectorSpace> {
    const find = (): { id: number } | undefined =>
      this.#sql('SELECT id FROM memory_vector_spaces WHERE embedder = ? AND dimension = ?').get(
        embedder,
        dimension,
      ) as { id: number } | undefined;
    const existing = find();
    if (existing) return Promise.resolve(this.#describe(existing.id, embedder, dimension));
    return this.write(() => {
      const again = find();
      if (again) return Promise.resolve(this.#describe(again.id, embedder, dimension));
      const { lastInsertRowid } = this.#sql(
        'INSERT INTO memory_vector_spaces (embedder, dimension, created_at) VALUES (?, ?, ?)',
      ).run(embedder, dimension, Date.now());
      const id = Number(lastInsertRowid);
      this.db.exec(`CREATE TABLE memory_vec_float_${id} (seq INTEGER PRIMARY KEY, vector BLOB NOT NULL)`);
      return Promise.resolve(this.#describe(id, embedder, dimension));
    });
  }

  #describe(id: number, embedder: string, dimension: number): VectorSpace {
    return { id, embedder, dimension };
  }

  spaces(): Promise<(VectorSpace & { vectors: number })[]> {
    const rows = this.#sql('SELECT id, embedder, dimension FROM memory_vector_spaces ORDER BY id').all() as {
      id: number;
      embedder: string;
      dimension: number;
    }[];
    return Promise.resolve(
      rows.map((r) => {
        const { n } = this.#sql(`SELECT count(*) AS n FROM memory_vec_float_${r.id}`).get() as { n: number };
        return { ...r, vectors: n };
      }),
    );
  }

  putVectors(spaceId: number, items: readonly { seq: number; vector: Float32Array }[]): Promise<void> {
    return this.write(() => Promise.resolve(this.#putVectors(spaceId, items)));
  }

  #putVectors(spaceId: number, items: readonly { seq: number; vector: Float32Array }[]): void {
    const id = Math.trunc(spaceId);
    const addFloat = this.#sql(`INSERT OR REPLACE INTO memory_vec_float_${id} (seq, vector) VALUES (?, ?)`);
    for (const { seq, vector } of items) {
      addFloat.run(seq, vectorBlob(vector));
      this.#uncommitted.push({ spaceId: id, seq, vector });
    }
  }

  /**
   * The space's index, built on first use from the stored float vectors and kept current: this connection's
   * commits add to it directly; another process's commits (seen through `data_version`) are read back in.
   * Vectors are written once per note, so a changed count means new rows.
   */
  #index(spaceId: number, dimension: number): QuantizedIndex {
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    let loaded = this.#indexes.get(spaceId);
    if (loaded && loaded.dataVersion === dataVersion) return loaded.index;
    const table = `memory_vec_float_${spaceId}`;
    const { n } = this.#sql(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
    if (loaded && n === loaded.index.size) {
      loaded.dataVersion = dataVersion;
      return loaded.index;
    }
    // New rows beyond the newest seen, or (a re-embed filled older notes) a full rebuild.
    if (!loaded || n < loaded.index.size)
      loaded = { index: new QuantizedIndex(dimension, Math.max(1024, n + 1024)), dataVersion };
    const { index } = loaded;
    const newer = this.#sql(`SELECT seq, vector FROM ${table} WHERE seq > ?`).raw().iterate(index.maxSeq);
    for (const [seq, blob] of newer as Iterable<[number, Buffer]>) index.add(seq, blobVector(blob));
    if (index.size !== n) {
      const all = this.#sql(`SELECT seq, vector FROM ${table}`).raw().iterate();
      for (const [seq, blob] of all as Iterable<[number, Buffer]>)
        if (!index.has(seq)) index.add(seq, blobVector(blob));
    }
    loaded.dataVersion = dataVersion;
    this.#indexes.set(spaceId, loaded);
    return loaded.index;
  }

  getSyncState(peer: string): Promise<SyncState> {
    const row = this.#sql('SELECT push_cursor, pull_cursor FROM memory_sync_state WHERE peer = ?').get(
      peer,
    ) as { push_cursor: string | null; pull_cursor: string | null } | undefined;
    return Promise.resolve({ pushCursor: row?.push_cursor ?? null, pullCursor: row?.pull_cursor ?? null });
  }

  setSyncState(peer: string, state: SyncState): Promise<void> {
    this.#sql(
      `INSERT INTO memory_sync_state (peer, push_cursor, pull_cursor) VALUES (?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET push_cursor = excluded.push_cursor, pull_cursor = excluded.pull_cursor`,
    ).run(peer, state.pushCursor, state.pullCursor);
    return Promise.resolve();
  }

  unembedded(spaceId: number, limit: number): Promise<StoredRecord[]> {
    const rows = this.#sql(
      `SELECT r.* FROM memory_records r WHERE r.kind = 'note' AND r.ended_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM memory_vec_float_${Math.trunc(spaceId)} f WHERE f.seq = r.seq)
       ORDER BY r.seq LIMIT ?`,
    ).all(limit) as Row[];
    return Promise.resolve(rows.map(toRecord));
  }

  prepareVectors(space: VectorSpace): Promise<void> {
    this.#index(space.id, space.dimension);
    return Promise.resolve();
  }

  searchVector(spaceId: number, vector: Float32Array, filter: NoteFilter, limit: number): Promise<Ranked[]> {
    const id = Math.trunc(spaceId);
    const index = this.#index(id, vector.length);
    const floats = this.#sql(
      `SELECT seq, vector FROM memory_vec_float_${id} WHERE seq IN (SELECT value FROM json_each(?))`,
    );
    // The best `limit` by int8 score are rescored exactly (int8 is within ≈ 0.01 of the cosine).
    const wanted = limit;
    const slice = Math.max(wanted * 2, MIN_CANDIDATES);
    // Filtering (visibility, validity) may drop candidates: walk them best first, and look wider when the
    // whole candidate set held too few visible notes.
    for (let candidates = VECTOR_CANDIDATES; ; candidates *= 8) {
      const ranked = index.search(vector, candidates);
      const rows: Row[] = [];
      for (let at = 0; at < ranked.length && rows.length < wanted; at += slice) {
        rows.push(
          ...this.#filtered(
            ranked.slice(at, at + slice).map((r) => r.seq),
            filter,
          ),
        );
      }
      if (rows.length >= wanted || ranked.length >= index.size) {
        const found = floats.all(JSON.stringify(rows.map((r) => r.seq))) as { seq: number; vector: Buffer }[];
        const exact = new Map(found.map((f) => [f.seq, dot(vector, blobVector(f.vector))]));
        return Promise.resolve(
          rows
            .map((row) => ({ record: toRecord(row), score: exact.get(row.seq) ?? 0 }))
            .sort((a, b) => b.score - a.score)
            .slice(0, limit),
        );
      }
    }
  }

  createGroup(name: string, owner: string, at: number): Promise<boolean> {
    return this.write(() => {
      const { changes } = this.#sql(
        'INSERT INTO memory_groups (name, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ).run(name, owner, at);
      if (changes > 0) this.#join(name, owner, at);
      return Promise.resolve(changes > 0);
    });
  }

  groupOwner(name: string): Promise<string | null> {
    const row = this.#sql('SELECT owner FROM memory_groups WHERE name = ?').get(name) as
      { owner: string } | undefined;
    return Promise.resolve(row?.owner ?? null);
  }

  setMember(group: string, member: string, present: boolean, at: number): Promise<boolean> {
    return this.write(() => {
      const { changes } = present
        ? this.#join(group, member, at)
        : this.#sql('DELETE FROM memory_group_members WHERE group_name = ? AND member = ?').run(
            group,
            member,
          );
      return Promise.resolve(changes > 0);
    });
  }

  /** A new member joins at the end of the record sequence: older group records are back-filled from there. */
  #join(group: string, member: string, at: number): { changes: number } {
    // `WHERE true`: without it SQLite parses ON CONFLICT as a join constraint of the SELECT.
    return this.#sql(
      `INSERT INTO memory_group_members (group_name, member, added_at, joined_seq)
       SELECT ?, ?, ?, coalesce(max(seq), 0) FROM memory_records WHERE true ON CONFLICT DO NOTHING`,
    ).run(group, member, at);
  }

  members(group: string): Promise<string[]> {
    const rows = this.#sql(
      'SELECT member FROM memory_group_members WHERE group_name = ? ORDER BY added_at, member',
    ).all(group) as { member: string }[];
    return Promise.resolve(rows.map((r) => r.member));
  }

  groupsOf(member: string): Promise<string[]> {
    const rows = this.#sql(
      'SELECT group_name FROM memory_group_members WHERE member = ? ORDER BY group_name',
    ).all(member) as { group_name: string }[];
    return Promise.resolve(rows.map((r) => r.group_name));
  }

  isMember(group: string, member: string): Promise<boolean> {
    return Promise.resolve(
      this.#sql('SELECT 1 FROM memory_group_members WHERE group_name = ? AND member = ?').get(
        group,
        member,
      ) !== undefined,
    );
  }

  close(): Promise<void> {
    return this.#writes.run(() => {
      this.db.close();
      return Promise.resolve();
    });
  }
}
