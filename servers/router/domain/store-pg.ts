import type pg from 'pg';
import { migratePg, openPg, type PgPool } from '../../../lib/store/pg.ts';
import type { Migration } from '../../../lib/store/migrations.ts';
import { PRIORITY_RANK } from './store.ts';
import type {
  AdmitResult,
  AdmittedEnvelope,
  EventRetention,
  InboxCursor,
  InboxDepth,
  InboxEntry,
  NewEvent,
  RouterStore,
  StoredEvent,
  SweepResult,
} from './store.ts';

// The same layout as the SQLite store (see store-sqlite.ts), with a `router_` prefix because a scaled-out
// deployment may keep several servers' tables in one database.
export const ROUTER_PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'envelopes, deliveries, replay ledger, topics, events',
    sql: `
      CREATE TABLE router_envelopes (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        expires BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX router_envelopes_expires ON router_envelopes (expires);
      CREATE TABLE router_deliveries (
        seq BIGSERIAL PRIMARY KEY,
        owner TEXT NOT NULL,
        envelope_id TEXT NOT NULL REFERENCES router_envelopes (id) ON DELETE CASCADE,
        rank SMALLINT NOT NULL,
        UNIQUE (owner, envelope_id)
      );
      CREATE INDEX router_deliveries_inbox ON router_deliveries (owner, rank, seq);
      CREATE INDEX router_deliveries_envelope ON router_deliveries (envelope_id);
      CREATE TABLE router_replay_ledger (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        nonce TEXT NOT NULL,
        until BIGINT NOT NULL,
        UNIQUE (sender, nonce)
      );
      CREATE INDEX router_replay_ledger_until ON router_replay_ledger (until);
      CREATE TABLE router_topic_subscriptions (
        topic TEXT NOT NULL,
        did TEXT NOT NULL,
        since BIGINT NOT NULL,
        PRIMARY KEY (topic, did)
      );
      CREATE INDEX router_topic_subscriptions_did ON router_topic_subscriptions (did, topic);
      CREATE TABLE router_events (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        subject TEXT NOT NULL,
        data JSONB NOT NULL,
        source TEXT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX router_events_type ON router_events (type, seq);
      CREATE INDEX router_events_at ON router_events (at);
    `,
  },
];

interface EventRow {
  seq: string;
  id: string;
  type: string;
  subject: string;
  data: unknown;
  source: string;
  at: string;
}

function eventFromRow(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    type: row.type,
    subject: row.subject,
    data: row.data,
    source: row.source,
    at: Number(row.at),
  };
}

export async function openPgRouterStore(url: string): Promise<PgRouterStore> {
  const pool = openPg(url);
  try {
    await migratePg(pool, 'router', ROUTER_PG_MIGRATIONS);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PgRouterStore(pool);
}

export class PgRouterStore implements RouterStore {
  readonly pool: PgPool;

  constructor(pool: PgPool) {
    this.pool = pool;
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  admit(envelopes: readonly AdmittedEnvelope[], receivedAt: number): Promise<AdmitResult[]> {
    return this.#transaction(async (client) => {
      const results: AdmitResult[] = [];
      for (const env of envelopes) {
        // One statement claims both the id and the (sender, nonce): concurrent routers cannot both win.
        const claimed = await client.query(
          `INSERT INTO router_replay_ledger (id, sender, nonce, until) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [env.id, env.sender, env.nonce, env.replayUntil],
        );
        if (claimed.rowCount === 0) {
          const sameId = await client.query('SELECT 1 FROM router_replay_ledger WHERE id = $1', [env.id]);
          results.push({ status: sameId.rowCount ? 'duplicate_id' : 'replayed_nonce', id: env.id });
          continue;
        }
        const owners =
          env.route.kind === 'direct'
            ? [env.route.owner]
            : (
                await client.query<{ did: string }>(
                  'SELECT did FROM router_topic_subscriptions WHERE topic = $1 AND did <> $2 ORDER BY did',
                  [env.route.topic, env.sender],
                )
              ).rows.map((r) => r.did);
        if (owners.length) {
          await client.query(
            `INSERT INTO router_envelopes (id, sender, recipient, expires, received_at, body)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [env.id, env.sender, env.recipient, env.expires, receivedAt, env.body],
          );
          await client.query(
            `INSERT INTO router_deliveries (owner, envelope_id, rank)
             SELECT owner, $2, $3 FROM unnest($1::text[]) WITH ORDINALITY AS o(owner, n) ORDER BY n`,
            [owners, env.id, PRIORITY_RANK[env.priority]],
          );
        }
        results.push({ status: 'accepted', id: env.id, owners });
      }
      return results;
    });
  }

  async inboxDepths(now: number, limit: number): Promise<InboxDepth[]> {
    const { rows } = await this.pool.query<InboxDepth>(
      `SELECT d.owner, COUNT(*)::int AS waiting FROM router_deliveries d
       JOIN router_envelopes e ON e.id = d.envelope_id
       WHERE e.expires > $1 GROUP BY d.owner ORDER BY waiting DESC, d.owner LIMIT $2`,
      [now, limit],
    );
    return rows;
  }

  async fetchInbox(
    owner: string,
    after: InboxCursor | null,
    limit: number,
    now: number,
  ): Promise<InboxEntry[]> {
    const { rows } = await this.pool.query<{
      seq: string;
      rank: number;
      id: string;
      sender: string;
      recipient: string;
      received_at: string;
      expires: string;
      body: string;
    }>(
      `SELECT d.seq, d.rank, d.envelope_id AS id, e.sender, e.recipient, e.received_at, e.expires, e.body
       FROM router_deliveries d JOIN router_envelopes e ON e.id = d.envelope_id
       WHERE d.owner = $1 AND (d.rank, d.seq) > ($2, $3) AND e.expires > $4
       ORDER BY d.rank, d.seq
       LIMIT $5`,
      [owner, after?.rank ?? -1, after?.seq ?? -1, now, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      seq: Number(r.seq),
      rank: r.rank,
      sender: r.sender,
      recipient: r.recipient,
      receivedAt: Number(r.received_at),
      expires: Number(r.expires),
      body: r.body,
    }));
  }

  ack(owner: string, ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ envelope_id: string }>(
        'DELETE FROM router_deliveries WHERE owner = $1 AND envelope_id = ANY($2) RETURNING envelope_id',
        [owner, unique],
      );
      const removed = new Set(rows.map((r) => r.envelope_id));
      await client.query(
        `DELETE FROM router_envelopes e WHERE e.id = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM router_deliveries d WHERE d.envelope_id = e.id)`,
        [[...removed]],
      );
      return unique.filter((id) => removed.has(id));
    });
  }

  async subscribeTopic(topic: string, did: string, at: number): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO router_topic_subscriptions (topic, did, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [topic, did, at],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async unsubscribeTopic(topic: string, did: string): Promise<boolean> {
    const result = await this.pool.query(
      'DELETE FROM router_topic_subscriptions WHERE topic = $1 AND did = $2',
      [topic, did],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async topicsOf(did: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ topic: string }>(
      'SELECT topic FROM router_topic_subscriptions WHERE did = $1 ORDER BY topic',
      [did],
    );
    return rows.map((r) => r.topic);
  }

  async appendEvent(event: NewEvent): Promise<StoredEvent> {
    const { rows } = await this.pool.query<{ seq: string }>(
      `INSERT INTO router_events (id, type, subject, data, source, at) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING seq`,
      [event.id, event.type, event.subject, JSON.stringify(event.data), event.source, event.at],
    );
    return { ...event, seq: Number(rows[0]?.seq) };
  }

  async lastEventSeq(): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string | null }>(
      'SELECT MAX(seq) AS seq FROM router_events',
    );
    return Number(rows[0]?.seq ?? 0);
  }

  async fetchEvents(after: number, limit: number, types?: readonly string[]): Promise<StoredEvent[]> {
    const { rows } = types?.length
      ? await this.pool.query<EventRow>(
          'SELECT * FROM router_events WHERE type = ANY($1) AND seq > $2 ORDER BY seq LIMIT $3',
          [types, after, limit],
        )
      : await this.pool.query<EventRow>('SELECT * FROM router_events WHERE seq > $1 ORDER BY seq LIMIT $2', [
          after,
          limit,
        ]);
    return rows.map(eventFromRow);
  }

  sweep(now: number, retention: EventRetention): Promise<SweepResult> {
    return this.#transaction(async (client) => {
      const expired = await client.query(
        `DELETE FROM router_deliveries
         WHERE envelope_id IN (SELECT id FROM router_envelopes WHERE expires <= $1)`,
        [now],
      );
      await client.query('DELETE FROM router_envelopes WHERE expires <= $1', [now]);
      const ledger = await client.query('DELETE FROM router_replay_ledger WHERE until <= $1', [now]);
      const byCount = await client.query(
        'DELETE FROM router_events WHERE seq <= (SELECT MAX(seq) FROM router_events) - $1',
        [retention.maxEvents],
      );
      const byAge = await client.query('DELETE FROM router_events WHERE at < $1', [now - retention.maxAgeMs]);
      return {
        expired: expired.rowCount ?? 0,
        ledger: ledger.rowCount ?? 0,
        events: (byCount.rowCount ?? 0) + (byAge.rowCount ?? 0),
      };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
