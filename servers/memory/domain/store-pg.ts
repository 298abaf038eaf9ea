import type pg from 'pg';
import { dot } from '../../../lib/embedding/embedder.ts';
import { migratePg, openPg, type PgPool } from '../../../lib/store/pg.ts';
import type { Migration } from '../../../lib/store/migrations.ts';
import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import { scopeFromKey, scopeKey } from './records.ts';
import type {
  EpisodeQuery,
  MemoryStore,
  MemoryWriter,
  NoteFilter,
  Page,
  Ranked,
  RecordQuery,
  StoredRecord,
  SyncState,
  VectorSpace,
} from './store.ts';
import { changePage, columnsOf, decodeCursor, encodeCursor, metadataPath, Mutex } from './store-common.ts';
import { contentWords } from '../../../lib/embedding/lexical.ts';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'records, text search, groups, vector spaces',
    sql: `
      CREATE TABLE memory_records (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        nonce TEXT NOT NULL,
        kind TEXT NOT NULL,
        author TEXT NOT NULL,
        scope TEXT NOT NULL,
        recorded_at BIGINT NOT NULL,
        valid_from BIGINT NOT NULL,
        valid_to BIGINT,
        ended_at BIGINT,
        name TEXT,
        name2 TEXT,
        target TEXT,
        occurred_at BIGINT,
        body JSONB NOT NULL,
        signature TEXT,
        text_search TSVECTOR
      );
      CREATE INDEX memory_records_name ON memory_records (name, kind);
      CREATE INDEX memory_records_name2 ON memory_records (name2, kind);
      CREATE INDEX memory_records_target ON memory_records (target) WHERE target IS NOT NULL;
      CREATE INDEX memory_records_kind ON memory_records (kind, seq);
      CREATE INDEX memory_records_episodes ON memory_records (occurred_at, seq) WHERE kind = 'episode';
      CREATE INDEX memory_records_text ON memory_records USING GIN (text_search);
      CREATE TABLE memory_groups (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE memory_group_members (
        group_name TEXT NOT NULL REFERENCES memory_groups (name),
        member TEXT NOT NULL,
        added_at BIGINT NOT NULL,
        PRIMARY KEY (group_name, member)
      );
      CREATE INDEX memory_group_members_member ON memory_group_members (member);
      CREATE TABLE memory_vector_spaces (
        id SERIAL PRIMARY KEY,
        embedder TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (embedder, dimension)
      );
      CREATE TABLE memory_vectors (
        space_id INTEGER NOT NULL REFERENCES memory_vector_spaces (id),
        seq BIGINT NOT NULL REFERENCES memory_records (seq),
        vector BYTEA NOT NULL,
        PRIMARY KEY (space_id, seq)
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
      ALTER TABLE memory_group_members ADD COLUMN joined_seq BIGINT NOT NULL DEFAULT 0;
      UPDATE memory_group_members m SET joined_seq = (SELECT coalesce(max(seq), 0) FROM memory_records)
        FROM memory_groups g WHERE g.name = m.group_name AND m.added_at > g.created_at;
      CREATE INDEX memory_records_scope ON memory_records (scope, seq);
    `,
  },
];

type Db = Pick<pg.Pool, 'query'> | pg.PoolClient;

interface Row {
  seq: string;
  id: string;
  nonce: string;
  kind: string;
  author: string;
  scope: string;
  recorded_at: string;
  valid_from: string;
  valid_to: string | null;
  ended_at: string | null;
  occurred_at: string | null;
  body: unknown;
  signature: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function toRecord(row: Row): StoredRecord {
  return {
    id: row.id,
    nonce: row.nonce,
    kind: row.kind,
    author: row.author,
    scope: scopeFromKey(row.scope),
    recordedAt: Number(row.recorded_at),
    validFrom: Number(row.valid_from),
    validTo: num(row.valid_to),
    body: row.body,
    ...(row.signature === null ? {} : { signature: row.signature }),
    seq: Number(row.seq),
    endedAt: num(row.ended_at),
  } as StoredRecord;
}

/** Positional parameters built alongside the SQL text. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const visible = (p: Params, viewer: string): string => {
  const v = p.add(viewer);
  return `(r.author = ${v} OR r.scope = 'public' OR r.scope IN
    (SELECT 'group:' || group_name FROM memory_group_members WHERE member = ${v}))`;
};
/** Visible at its own seq in a change stream: a group's older records reach a new member by back-fill. */
const fresh = (p: Params, viewer: string): string => {
  const v = p.add(viewer);
  return `(r.author = ${v} OR r.scope = 'public' OR (r.scope LIKE 'group:%' AND EXISTS
    (SELECT 1 FROM memory_group_members m WHERE m.group_name = substr(r.scope, 7) AND m.member = ${v}
     AND m.joined_seq < r.seq)))`;
};
const validAt = (p: Params, at: number): string => {
  const t = p.add(at);
  return `(r.valid_from <= ${t} AND (r.valid_to IS NULL OR r.valid_to > ${t}) AND (r.ended_at IS NULL OR r.ended_at > ${t}))`;
};
const MAY_END = (t: string, author: string): string => `(${t}.author = ${author} OR (${t}.scope LIKE 'group:%'
  AND EXISTS (SELECT 1 FROM memory_group_members m WHERE m.group_name = substr(${t}.scope, 7) AND m.member = ${author})))`;

/** An OR of the query's words for to_tsquery (words are letters and digits only, so nothing needs quoting). */
function tsQuery(text: string): string {
  return [...new Set(contentWords(text))].join(' | ');
}

const WRITE_LOCK = 'plexus-memory-write';

/**
 * The memory store on PostgreSQL. Text search uses tsvector/ts_rank_cd (PostgreSQL has no BM25); vectors are
 * scanned exactly (pgvector is not required), so vector recall cost grows linearly with the notes visible.
 * Writers serialize on an advisory lock, which also keeps `seq` in commit order for sync cursors.
 */
export class PgMemoryStore implements MemoryStore {
  readonly #pool: PgPool;
  readonly #writes = new Mutex();

  private constructor(pool: PgPool) {
    this.#pool = pool;
  }

  static async open(url: string): Promise<PgMemoryStore> {
    const pool = openPg(url);
    await migratePg(pool, 'memory', MIGRATIONS);
    return new PgMemoryStore(pool);
  }

  write<T>(fn: (tx: MemoryWriter) => Promise<T>): Promise<T> {
    return this.#transaction((client) =>
      fn({
        records: (query) => this.#records(client, query),
        insert: (records) => this.#insert(client, records),
        putVectors: (spaceId, items) => this.#putVectors(client, spaceId, items),
      }),
    );
  }

  /** One write transaction on one pooled connection, holding the store-wide write lock. */
  #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [WRITE_LOCK]);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    });
  }

  async #insert(db: Db, records: readonly MemoryRecord[]): Promise<StoredRecord[]> {
    const inserted: StoredRecord[] = [];
    for (const record of records) {
      const c = columnsOf(record);
      const { rows } = await db.query<{ seq: string }>(
        `INSERT INTO memory_records (id, nonce, kind, author, scope, recorded_at, valid_from, valid_to, name,
           name2, target, occurred_at, body, signature, text_search)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,  $14,
           CASE WHEN $15::text IS NULL THEN NULL ELSE to_tsvector('english', $15::text) END)
         ON CONFLICT (id) DO NOTHING RETURNING seq`,
        [
          record.id,
          record.nonce,
          record.kind,
          record.author,
          scopeKey(record.scope),
          record.recordedAt,
          record.validFrom,
          record.validTo,
          c.name,
          c.name2,
          c.target,
          c.occurredAt,
          JSON.stringify(record.body),
          record.signature ?? null,
          c.text,
        ],
      );
      const seq = rows[0]?.seq;
      if (seq === undefined) continue;
      if (record.kind === 'invalidation') {
        await db.query(
          `UPDATE memory_records AS t SET ended_at = LEAST(COALESCE(t.ended_at, $1::bigint), $1::bigint)
           WHERE t.id = $2 AND t.kind NOT IN ('episode', 'invalidation') AND ${MAY_END('t', '$3')}`,
          [record.validFrom, record.body.target, record.author],
        );
      } else {
        await db.query(
          `UPDATE memory_records AS t SET ended_at = (SELECT min(i.valid_from) FROM memory_records i
             WHERE i.target = t.id AND i.kind = 'invalidation' AND ${MAY_END('t', 'i.author')})
           WHERE t.seq = $1 AND t.kind <> 'episode'`,
          [seq],
        );
      }
      const { rows: stored } = await db.query<Row>('SELECT * FROM memory_records WHERE seq = $1', [seq]);
      if (stored[0]) inserted.push(toRecord(stored[0]));
    }
    return inserted;
  }

  records(query: RecordQuery): Promise<StoredRecord[]> {
    return this.#records(this.#pool, query);
  }

  async #records(db: Db, query: RecordQuery): Promise<StoredRecord[]> {
    const p = new Params();
    const where = [`r.kind = ANY(${p.add(query.kinds)}::text[])`, visible(p, query.viewer)];
    if (query.at !== undefined) where.push(validAt(p, query.at));
    if (query.scope !== undefined) where.push(`r.scope = ${p.add(query.scope)}`);
    if (query.names !== undefined) {
      const n = p.add(query.names);
      where.push(`(r.name = ANY(${n}::text[]) OR (r.kind = 'relation' AND r.name2 = ANY(${n}::text[])))`);
    }
    if (query.targets !== undefined) where.push(`r.target = ANY(${p.add(query.targets)}::text[])`);
    if (query.ids !== undefined) where.push(`r.id = ANY(${p.add(query.ids)}::text[])`);
    const { rows } = await db.query<Row>(
      `SELECT r.* FROM memory_records r WHERE ${where.join(' AND ')} ORDER BY r.seq`,
      p.values,
    );
    return rows.map(toRecord);
  }

  async episodes(query: EpisodeQuery): Promise<Page<StoredRecord>> {
    const p = new Params();
    const where = [`r.kind = 'episode'`, visible(p, query.viewer)];
    if (query.thread !== undefined) where.push(`r.name = ${p.add(query.thread)}`);
    if (query.agent !== undefined) where.push(`r.name2 = ${p.add(query.agent)}`);
    if (query.since !== undefined) where.push(`r.occurred_at >= ${p.add(query.since)}`);
    if (query.until !== undefined) where.push(`r.occurred_at < ${p.add(query.until)}`);
    if (query.text !== undefined) {
      where.push(`r.text_search @@ to_tsquery('english', ${p.add(tsQuery(query.text) || '_')})`);
    }
    const dir = query.order === 'asc' ? '>' : '<';
    if (query.cursor !== undefined) {
      const [at, seq] = decodeCursor(query.cursor);
      const a = p.add(at);
      where.push(`(r.occurred_at ${dir} ${a} OR (r.occurred_at = ${a} AND r.seq ${dir} ${p.add(seq)}))`);
    }
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const { rows } = await this.#pool.query<Row>(
      `SELECT r.* FROM memory_records r WHERE ${where.join(' AND ')}
       ORDER BY r.occurred_at ${order}, r.seq ${order} LIMIT ${p.add(query.limit + 1)}`,
      p.values,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toRecord),
      cursor: last ? encodeCursor([Number(last.occurred_at), Number(last.seq)]) : (query.cursor ?? null),
      more: rows.length > query.limit,
    };
  }

  changes(viewer: string, cursor: string | null, limit: number): Promise<Page<StoredRecord>> {
    const rows = async (sql: (p: Params) => string): Promise<StoredRecord[]> => {
      const p = new Params();
      const text = sql(p);
      return (await this.#pool.query<Row>(text, p.values)).rows.map(toRecord);
    };
    return changePage(
      {
        fresh: (after, n) =>
          rows(
            (p) => `SELECT r.* FROM memory_records r WHERE r.seq > ${p.add(after)} AND ${fresh(p, viewer)}
              ORDER BY r.seq LIMIT ${p.add(n)}`,
          ),
        joins: async (from) => {
          const { rows: joined } = await this.#pool.query<{ group_name: string; joined_seq: string }>(
            'SELECT group_name, joined_seq FROM memory_group_members WHERE member = $1 AND joined_seq >= $2',
            [viewer, from],
          );
          return joined.map((j) => ({ group: j.group_name, joinedSeq: Number(j.joined_seq) }));
        },
        backfill: (group, joined, after, n) =>
          rows(
            (p) => `SELECT r.* FROM memory_records r WHERE r.scope = ${p.add(`group:${group}`)}
              AND r.seq > ${p.add(after)} AND r.seq <= ${p.add(joined)} AND r.author <> ${p.add(viewer)}
              ORDER BY r.seq LIMIT ${p.add(n)}`,
          ),
      },
      cursor,
      limit,
    );
  }

  #noteFilter(p: Params, filter: NoteFilter): string {
    const where = [`r.kind = 'note'`, visible(p, filter.viewer), validAt(p, filter.at)];
    if (filter.scope !== undefined) where.push(`r.scope = ${p.add(filter.scope)}`);
    if (filter.author !== undefined) where.push(`r.author = ${p.add(filter.author)}`);
    for (const [key, value] of Object.entries(filter.metadata ?? {})) {
      // JSONB containment: metadata.<key> equals value, with JSON types (1 ≠ "1", true ≠ 1).
      metadataPath(key);
      where.push(`r.body -> 'metadata' @> ${p.add(JSON.stringify({ [key]: value }))}::jsonb`);
    }
    return where.join(' AND ');
  }

  async searchText(text: string, filter: NoteFilter, limit: number): Promise<Ranked[]> {
    const query = tsQuery(text);
    if (query === '') return [];
    const p = new Params();
    const q = p.add(query);
    const { rows } = await this.#pool.query<Row & { rank: number }>(
      `SELECT r.*, ts_rank_cd(r.text_search, to_tsquery('english', ${q})) AS rank FROM memory_records r
       WHERE r.text_search @@ to_tsquery('english', ${q}) AND ${this.#noteFilter(p, filter)}
       ORDER BY rank DESC, r.seq LIMIT ${p.add(limit)}`,
      p.values,
    );
    // Negated so that, as with SQLite's bm25(), lower is better.
    return rows.map((row) => ({ record: toRecord(row), score: -row.rank }));
  }

  async space(embedder: string, dimension: number): Promise<VectorSpace> {
    await this.#pool.query(
      `INSERT INTO memory_vector_spaces (embedder, dimension, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (embedder, dimension) DO NOTHING`,
      [embedder, dimension, Date.now()],
    );
    const { rows } = await this.#pool.query<{ id: number }>(
      'SELECT id FROM memory_vector_spaces WHERE embedder = $1 AND dimension = $2',
      [embedder, dimension],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error('vector space was not created');
    return { id, embedder, dimension };
  }

  async spaces(): Promise<(VectorSpace & { vectors: number })[]> {
    const { rows } = await this.#pool.query<{
      id: number;
      embedder: string;
      dimension: number;
      vectors: string;
    }>(
      `SELECT s.id, s.embedder, s.dimension, (SELECT count(*) FROM memory_vectors v WHERE v.space_id = s.id) AS vectors
       FROM memory_vector_spaces s ORDER BY s.id`,
    );
    return rows.map((r) => ({ ...r, vectors: Number(r.vectors) }));
  }

  putVectors(spaceId: number, items: readonly { seq: number; vector: Float32Array }[]): Promise<void> {
    return this.write((tx) => tx.putVectors(spaceId, items));
  }

  async #putVectors(
    db: Db,
    spaceId: number,
    items: readonly { seq: number; vector: Float32Array }[],
  ): Promise<void> {
    for (const { seq, vector } of items) {
      await db.query(
        `INSERT INTO memory_vectors (space_id, seq, vector) VALUES ($1, $2, $3)
         ON CONFLICT (space_id, seq) DO UPDATE SET vector = excluded.vector`,
        [spaceId, seq, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)],
      );
    }
  }

  async unembedded(spaceId: number, limit: number): Promise<StoredRecord[]> {
    const { rows } = await this.#pool.query<Row>(
      `SELECT r.* FROM memory_records r WHERE r.kind = 'note' AND r.ended_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.space_id = $1 AND v.seq = r.seq)
       ORDER BY r.seq LIMIT $2`,
      [spaceId, limit],
    );
    return rows.map(toRecord);
  }

  /** Vectors are scanned exactly in the database: nothing to load. */
  prepareVectors(): Promise<void> {
    return Promise.resolve();
  }

  async searchVector(
    spaceId: number,
    vector: Float32Array,
    filter: NoteFilter,
    limit: number,
  ): Promise<Ranked[]> {
    const p = new Params();
    const { rows } = await this.#pool.query<Row & { vector: Buffer }>(
      `SELECT r.*, v.vector FROM memory_records r JOIN memory_vectors v ON v.seq = r.seq AND v.space_id = ${p.add(spaceId)}
       WHERE ${this.#noteFilter(p, filter)}`,
      p.values,
    );
    // Exact scan: every visible, current note's vector is compared.
    return rows
      .map((row) => ({
        record: toRecord(row),
        score: dot(vector, new Float32Array(Uint8Array.from(row.vector).buffer)),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  async getSyncState(peer: string): Promise<SyncState> {
    const { rows } = await this.#pool.query<{ push_cursor: string | null; pull_cursor: string | null }>(
      'SELECT push_cursor, pull_cursor FROM memory_sync_state WHERE peer = $1',
      [peer],
    );
    return { pushCursor: rows[0]?.push_cursor ?? null, pullCursor: rows[0]?.pull_cursor ?? null };
  }

  async setSyncState(peer: string, state: SyncState): Promise<void> {
    await this.#pool.query(
      `INSERT INTO memory_sync_state (peer, push_cursor, pull_cursor) VALUES ($1, $2, $3)
       ON CONFLICT (peer) DO UPDATE SET push_cursor = excluded.push_cursor, pull_cursor = excluded.pull_cursor`,
      [peer, state.pushCursor, state.pullCursor],
    );
  }

  createGroup(name: string, owner: string, at: number): Promise<boolean> {
    return this.#transaction(async (client) => {
      const { rowCount } = await client.query(
        'INSERT INTO memory_groups (name, owner, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
        [name, owner, at],
      );
      if (rowCount) await this.#join(client, name, owner, at);
      return (rowCount ?? 0) > 0;
    });
  }

  async groupOwner(name: string): Promise<string | null> {
    const { rows } = await this.#pool.query<{ owner: string }>(
      'SELECT owner FROM memory_groups WHERE name = $1',
      [name],
    );
    return rows[0]?.owner ?? null;
  }

  setMember(group: string, member: string, present: boolean, at: number): Promise<boolean> {
    // Under the write lock: the join position is the end of the sequence as writers left it.
    return this.#transaction(async (client) => {
      if (present) return this.#join(client, group, member, at);
      const { rowCount } = await client.query(
        'DELETE FROM memory_group_members WHERE group_name = $1 AND member = $2',
        [group, member],
      );
      return (rowCount ?? 0) > 0;
    });
  }

  /** A new member joins at the end of the record sequence: older group records are back-filled from there. */
  async #join(db: Db, group: string, member: string, at: number): Promise<boolean> {
    const { rowCount } = await db.query(
      `INSERT INTO memory_group_members (group_name, member, added_at, joined_seq)
       SELECT $1, $2, $3, coalesce(max(seq), 0) FROM memory_records ON CONFLICT DO NOTHING`,
      [group, member, at],
    );
    return (rowCount ?? 0) > 0;
  }

  async members(group: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ member: string }>(
      'SELECT member FROM memory_group_members WHERE group_name = $1 ORDER BY added_at, member',
      [group],
    );
    return rows.map((r) => r.member);
  }

  async groupsOf(member: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ group_name: string }>(
      'SELECT group_name FROM memory_group_members WHERE member = $1 ORDER BY group_name',
      [member],
    );
    return rows.map((r) => r.group_name);
  }

  async isMember(group: string, member: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'SELECT 1 FROM memory_group_members WHERE group_name = $1 AND member = $2',
      [group, member],
    );
    return (rowCount ?? 0) > 0;
  }

  close(): Promise<void> {
    return this.#writes.run(() => this.#pool.end());
  }
}
