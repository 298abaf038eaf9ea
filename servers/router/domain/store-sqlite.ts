import { migrateSqlite, openSqlite, type Sqlite } from '../../../lib/store/sqlite.ts';
import { GroupCommit } from '../../../lib/store/group-commit.ts';
import type { Logger } from '../../../lib/log.ts';
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

/*
 * An envelope is stored once (`envelopes`); each inbox it reaches gets a `deliveries` row pointing at it, so
 * a topic message fanned out to many subscribers costs one body plus one small row per subscriber. An inbox
 * is read through the (owner, rank, seq) index; acking deletes the owner's delivery and the body with it
 * once no delivery is left.
 */
export const ROUTER_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'envelopes, deliveries, replay ledger, topics, events',
    sql: `
      CREATE TABLE envelopes (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        expires INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX envelopes_expires ON envelopes (expires);
      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        owner TEXT NOT NULL,
        envelope_id TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
        rank INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX deliveries_owner_envelope ON deliveries (owner, envelope_id);
      CREATE INDEX deliveries_inbox ON deliveries (owner, rank, seq);
      CREATE INDEX deliveries_envelope ON deliveries (envelope_id);
      CREATE TABLE replay_ledger (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        nonce TEXT NOT NULL,
        until INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX replay_ledger_nonce ON replay_ledger (sender, nonce);
      CREATE INDEX replay_ledger_until ON replay_ledger (until);
      CREATE TABLE topic_subscriptions (
        topic TEXT NOT NULL,
        did TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (topic, did)
      ) WITHOUT ROWID;
      CREATE INDEX topic_subscriptions_did ON topic_subscriptions (did, topic);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        source TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX events_type ON events (type, seq);
      CREATE INDEX events_at ON events (at);
    `,
  },
];

/** The inbox page query; exported so a test can check its plan uses the index. */
export const INBOX_QUERY = `
  SELECT d.seq, d.rank, d.envelope_id AS id, e.sender, e.recipient, e.received_at, e.expires, e.body
  FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id
  WHERE d.owner = ? AND (d.rank, d.seq) > (?, ?) AND e.expires > ?
  ORDER BY d.rank, d.seq
  LIMIT ?`;

interface InboxRow {
  seq: number;
  rank: number;
  id: string;
  sender: string;
  recipient: string;
  received_at: number;
  expires: number;
  body: string;
}

interface EventRow {
  seq: number;
  id: string;
  type: string;
  subject: string;
  data: string;
  source: string;
  at: number;
}

function eventFromRow(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    id: row.id,
    type: row.type,
    subject: row.subject,
    data: JSON.parse(row.data) as unknown,
    source: row.source,
    at: row.at,
  };
}

function prepareStatements(db: Sqlite) {
  return {
    ledgerById: db.prepare('SELECT 1 FROM replay_ledger WHERE id = ?').pluck(),
    ledgerByNonce: db.prepare('SELECT 1 FROM replay_ledger WHERE sender = ? AND nonce = ?').pluck(),
    ledgerInsert: db.prepare('INSERT INTO replay_ledger (id, sender, nonce, until) VALUES (?, ?, ?, ?)'),
    subscribers: db
      .prepare('SELECT did FROM topic_subscriptions WHERE topic = ? AND did != ? ORDER BY did')
      .pluck(),
    envelopeInsert: db.prepare(
      'INSERT INTO envelopes (id, sender, recipient, expires, received_at, body) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deliveryInsert: db.prepare('INSERT INTO deliveries (owner, envelope_id, rank) VALUES (?, ?, ?)'),
    inbox: db.prepare(INBOX_QUERY),
    inboxDepths: db.prepare(
      `SELECT d.owner, COUNT(*) AS waiting FROM deliveries d JOIN envelopes e ON e.id = d.envelope_id
       WHERE e.expires > ? GROUP BY d.owner ORDER BY waiting DESC, d.owner LIMIT ?`,
    ),
    deliveryDelete: db.prepare('DELETE FROM deliveries WHERE owner = ? AND envelope_id = ?'),
    envelopeDeleteIfUndelivered: db.prepare(
      'DELETE FROM envelopes WHERE id = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE envelope_id = ?)',
    ),
    subscribe: db.prepare(
      'INSERT INTO topic_subscriptions (topic, did, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    unsubscribe: db.prepare('DELETE FROM topic_subscriptions WHERE topic = ? AND did = ?'),
    topicsOf: db.prepare('SELECT topic FROM topic_subscriptions WHERE did = ? ORDER BY topic').pluck(),
    eventInsert: db
      .prepare(
        'INSERT INTO events (id, type, subject, data, source, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq',
      )
      .pluck(),
    lastEventSeq: db.prepare('SELECT MAX(seq) FROM events').pluck(),
    events: db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
    expiredDeliveries: db.prepare(
      'DELETE FROM deliveries WHERE envelope_id IN (SELECT id FROM envelopes WHERE expires <= ?)',
    ),
    expiredEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires <= ?'),
    ledgerSweep: db.prepare('DELETE FROM replay_ledger WHERE until <= ?'),
    eventsBeyondCount: db.prepare('DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?'),
    eventsBeyondAge: db.prepare('DELETE FROM events WHERE at < ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
type Statement = ReturnType<Sqlite['prepare']>;

export function openSqliteRouterStore(path: string, log?: Logger): SqliteRouterStore {
  return new SqliteRouterStore(openSqlite({ path, log }));
}

export class SqliteRouterStore implements RouterStore {
  readonly db: Sqlite;
  readonly #admitBatch: (envelopes: readonly AdmittedEnvelope[], receivedAt: number) => AdmitResult[];
  readonly #ack: (owner: string, ids: readonly string[]) => string[];
  /** Admissions and acks of one event-loop turn share a commit. */
  readonly #writes: GroupCommit;
  readonly #sweep: (now: number, retention: EventRetention) => SweepResult;
  readonly #stmt: Statements;
  /** Event queries filtered by type, one per number of types asked for. */
  readonly #eventsByTypes = new Map<number, Statement>();

  constructor(db: Sqlite) {
    this.db = db;
    migrateSqlite(db, 'router', ROUTER_MIGRATIONS);
    const stmt = prepareStatements(db);
    this.#stmt = stmt;

    const admitOne = (env: AdmittedEnvelope, receivedAt: number): AdmitResult => {
      if (stmt.ledgerById.get(env.id)) return { status: 'duplicate_id', id: env.id };
      if (stmt.ledgerByNonce.get(env.sender, env.nonce)) return { status: 'replayed_nonce', id: env.id };
      stmt.ledgerInsert.run(env.id, env.sender, env.nonce, env.replayUntil);
      const owners =
        env.route.kind === 'direct'
          ? [env.route.owner]
          : (stmt.subscribers.all(env.route.topic, env.sender) as string[]);
      if (owners.length) {
        stmt.envelopeInsert.run(env.id, env.sender, env.recipient, env.expires, receivedAt, env.body);
        const rank = PRIORITY_RANK[env.priority];
        for (const owner of owners) stmt.deliveryInsert.run(owner, env.id, rank);
      }
      return { status: 'accepted', id: env.id, owners };
    };
    // Each batch atomically (a savepoint), in a commit shared with the other writes of its turn.
    this.#admitBatch = db.transaction((envelopes: readonly AdmittedEnvelope[], receivedAt: number) =>
      envelopes.map((env) => admitOne(env, receivedAt)),
    );
    this.#writes = new GroupCommit(db);

    this.#ack = db.transaction((owner: string, ids: readonly string[]) => {
      const removed: string[] = [];
      for (const id of new Set(ids)) {
        if (stmt.deliveryDelete.run(owner, id).changes === 0) continue;
        stmt.envelopeDeleteIfUndelivered.run(id, id);
        removed.push(id);
      }
      return removed;
    });

    const sweep = db.transaction((now: number, retention: EventRetention): SweepResult => {
      const expired = stmt.expiredDeliveries.run(now).changes;
      stmt.expiredEnvelopes.run(now);
      const ledger = stmt.ledgerSweep.run(now).changes;
      const events =
        stmt.eventsBeyondCount.run(retention.maxEvents).changes +
        stmt.eventsBeyondAge.run(now - retention.maxAgeMs).changes;
      return { expired, ledger, events };
    });
    this.#sweep = (now, retention) => sweep.immediate(now, retention);
  }

  admit(envelopes: readonly AdmittedEnvelope[], receivedAt: number): Promise<AdmitResult[]> {
    return this.#writes.run(() => this.#admitBatch(envelopes, receivedAt));
  }

  fetchInbox(owner: string, after: InboxCursor | null, limit: number, now: number): Promise<InboxEntry[]> {
    const rows = this.#stmt.inbox.all(owner, after?.rank ?? -1, after?.seq ?? -1, now, limit) as InboxRow[];
    return Promise.resolve(
      rows.map((r) => ({
        id: r.id,
        seq: r.seq,
        rank: r.rank,
        sender: r.sender,
        recipient: r.recipient,
        receivedAt: r.received_at,
        expires: r.expires,
        body: r.body,
      })),
    );
  }

  inboxDepths(now: number, limit: number): Promise<InboxDepth[]> {
    return Promise.resolve(this.#stmt.inboxDepths.all(now, limit) as InboxDepth[]);
  }

  ack(owner: string, ids: readonly string[]): Promise<string[]> {
    return this.#writes.run(() => this.#ack(owner, ids));
  }

  subscribeTopic(topic: string, did: string, at: number): Promise<boolean> {
    return Promise.resolve(this.#stmt.subscribe.run(topic, did, at).changes > 0);
  }

  unsubscribeTopic(topic: string, did: string): Promise<boolean> {
    return Promise.resolve(this.#stmt.unsubscribe.run(topic, did).changes > 0);
  }

  topicsOf(did: string): Promise<string[]> {
    return Promise.resolve(this.#stmt.topicsOf.all(did) as string[]);
  }

  appendEvent(event: NewEvent): Promise<StoredEvent> {
    const seq = this.#stmt.eventInsert.get(
      event.id,
      event.type,
      event.subject,
      JSON.stringify(event.data),
      event.source,
      event.at,
    ) as number;
    return Promise.resolve({ ...event, seq });
  }

  lastEventSeq(): Promise<number> {
    return Promise.resolve((this.#stmt.lastEventSeq.get() as number | null) ?? 0);
  }

  fetchEvents(after: number, limit: number, types?: readonly string[]): Promise<StoredEvent[]> {
    if (!types?.length) {
      return Promise.resolve((this.#stmt.events.all(after, limit) as EventRow[]).map(eventFromRow));
    }
    let query = this.#eventsByTypes.get(types.length);
    if (!query) {
      const placeholders = types.map(() => '?').join(', ');
      query = this.db.prepare(
        `SELECT * FROM events WHERE type IN (${placeholders}) AND seq > ? ORDER BY seq LIMIT ?`,
      );
      this.#eventsByTypes.set(types.length, query);
    }
    const rows = query.all([...types, after, limit]) as EventRow[];
    return Promise.resolve(rows.map(eventFromRow));
  }

  sweep(now: number, retention: EventRetention): Promise<SweepResult> {
    return Promise.resolve(this.#sweep(now, retention));
  }

  close(): Promise<void> {
    this.#writes.flush();
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
