import type { Logger } from '../lib/log.ts';
import { migrateSqlite, openSqlite, type Sqlite } from '../lib/store/sqlite.ts';
import type { Migration } from '../lib/store/migrations.ts';

/**
 * The agent's local store (`<storage>/agent.db`): every message sent or received with, for a received one,
 * where its handling stands (see `Processing`), the inbox cursor, and the cache of peers' key-agreement keys.
 * SQLite in WAL mode with a busy timeout, so `plexus agent inbox` and `send` work while `start` holds the
 * same file.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'messages, state, contacts',
    sql: `
      CREATE TABLE messages (
        id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        peer TEXT NOT NULL,
        peer_name TEXT,
        thread TEXT,
        type TEXT NOT NULL,
        text TEXT NOT NULL,
        content TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        stored_at INTEGER NOT NULL,
        PRIMARY KEY (id, direction)
      );
      CREATE INDEX messages_by_time ON messages (stored_at, id);
      CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE contacts (
        did TEXT PRIMARY KEY,
        name TEXT,
        key_agreement TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
      );`,
  },
  { version: 2, name: 'peer endpoints', sql: 'ALTER TABLE contacts ADD COLUMN endpoint TEXT' },
  {
    version: 3,
    name: 'rotated peers',
    // Cached contacts are resolved again at their next use, so none passes for unrotated unchecked.
    sql: `ALTER TABLE contacts ADD COLUMN rotated INTEGER NOT NULL DEFAULT 0;
      UPDATE contacts SET fetched_at = 0;`,
  },
  {
    version: 4,
    name: 'processing state, topic',
    // Messages stored before are counted as handled: an upgrade must not hand old mail to the brain again.
    sql: `ALTER TABLE messages ADD COLUMN topic TEXT;
      ALTER TABLE messages ADD COLUMN queue TEXT CHECK (queue IN ('brain', 'tasks'));
      ALTER TABLE messages ADD COLUMN processing TEXT NOT NULL DEFAULT 'done'
        CHECK (processing IN ('pending', 'started', 'done'));
      CREATE INDEX messages_unprocessed ON messages (queue) WHERE processing != 'done';`,
  },
];

/** Who handles a received message: the brain (chat, topic deliveries) or the task runner. */
export type Queue = 'brain' | 'tasks';
/** pending: not handed over yet; started: handed over, not finished; done: finished (or nothing to do). */
export type ProcessingState = 'pending' | 'started' | 'done';

export interface StoredMessage {
  id: string;
  direction: 'in' | 'out';
  peer: string;
  peerName: string | null;
  thread: string | null;
  type: string;
  text: string;
  content: unknown;
  sentAt: number;
  storedAt: number;
  /** The topic a received topic delivery was published to. */
  topic: string | null;
  queue: Queue | null;
  processing: ProcessingState;
}

/** A message to store; one with a queue waits there (pending) until it is handed over. */
export type NewMessage = Omit<StoredMessage, 'storedAt' | 'topic' | 'queue' | 'processing'> & {
  topic?: string | null;
  queue?: Queue | null;
};

export interface Contact {
  did: string;
  name: string | null;
  keyAgreement: string;
  /** The peer's own MCP endpoint from its card, when it offers one (P2P). */
  endpoint: string | null;
  fetchedAt: number;
}

interface MessageRow {
  id: string;
  direction: 'in' | 'out';
  peer: string;
  peer_name: string | null;
  thread: string | null;
  type: string;
  text: string;
  content: string;
  sent_at: number;
  stored_at: number;
  topic: string | null;
  queue: Queue | null;
  processing: ProcessingState;
}

function fromRow(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    direction: row.direction,
    peer: row.peer,
    peerName: row.peer_name,
    thread: row.thread,
    type: row.type,
    text: row.text,
    content: JSON.parse(row.content) as unknown,
    sentAt: row.sent_at,
    storedAt: row.stored_at,
    topic: row.topic,
    queue: row.queue,
    processing: row.processing,
  };
}

export class Mailbox {
  readonly db: Sqlite;

  /** `log` hears when an existing file had to be made owner-only. */
  constructor(file: string, log?: Logger) {
    this.db = openSqlite({ path: file, log });
    migrateSqlite(this.db, 'agent-host', MIGRATIONS);
  }

  /** Whether a received message with this id is stored (a note to self is stored both ways). */
  hasReceived(id: string): boolean {
    return this.db.prepare("SELECT 1 FROM messages WHERE id = ? AND direction = 'in'").get(id) !== undefined;
  }

  /** Stores a message; false when it is already stored (a redelivery). */
  put(message: NewMessage, now = Date.now()): boolean {
    const queue = message.queue ?? null;
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO messages
           (id, direction, peer, peer_name, thread, type, text, content, sent_at, stored_at, topic, queue, processing)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        message.id,
        message.direction,
        message.peer,
        message.peerName,
        message.thread,
        message.type,
        message.text,
        JSON.stringify(message.content ?? null),
        message.sentAt,
        now,
        message.topic ?? null,
        queue,
        queue ? 'pending' : 'done',
      );
    return info.changes === 1;
  }

  /** Received messages of `queue` not yet done, in the order they were stored (at most `limit`). */
  unprocessed(queue: Queue, limit = 100): StoredMessage[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM messages INDEXED BY messages_unprocessed
         WHERE queue = ? AND processing != 'done' ORDER BY rowid LIMIT ?`,
      )
      .all(queue, limit) as MessageRow[];
    return rows.map(fromRow);
  }

  /** How many received messages are not done (in either queue). */
  unprocessedCount(): number {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM messages WHERE queue IS NOT NULL AND processing != 'done'")
      .get() as { n: number };
    return row.n;
  }

  /** Moves a received message's handling on (or back, when handing it over failed). */
  setProcessing(id: string, state: ProcessingState): void {
    this.db.prepare("UPDATE messages SET processing = ? WHERE id = ? AND direction = 'in'").run(state, id);
  }

  list(options: { direction?: 'in' | 'out'; limit?: number; peer?: string } = {}): StoredMessage[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.direction) {
      where.push('direction = ?');
      args.push(options.direction);
    }
    if (options.peer) {
      where.push('peer = ?');
      args.push(options.peer);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY stored_at DESC, id DESC LIMIT ?) ORDER BY stored_at, id`,
      )
      .all(...args, options.limit ?? 50) as MessageRow[];
    return rows.map(fromRow);
  }

  getState(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM state WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  setState(key: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM state WHERE key = ?').run(key);
    else
      this.db
        .prepare(
          'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value);
  }

  contact(did: string): Contact | null {
    const row = this.db.prepare('SELECT * FROM contacts WHERE did = ?').get(did) as
      | {
          did: string;
          name: string | null;
          key_agreement: string;
          endpoint: string | null;
          fetched_at: number;
        }
      | undefined;
    return row
      ? {
          did: row.did,
          name: row.name,
          keyAgreement: row.key_agreement,
          endpoint: row.endpoint,
          fetchedAt: row.fetched_at,
        }
      : null;
  }

  contactByName(name: string): Contact | null {
    const row = this.db
      .prepare('SELECT did FROM contacts WHERE name = ? COLLATE NOCASE ORDER BY fetched_at DESC LIMIT 1')
      .get(name) as { did: string } | undefined;
    return row ? this.contact(row.did) : null;
  }

  putContact(contact: Contact): void {
    this.db
      .prepare(
        `INSERT INTO contacts (did, name, key_agreement, endpoint, fetched_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (did) DO UPDATE SET name = excluded.name, key_agreement = excluded.key_agreement,
         endpoint = excluded.endpoint, fetched_at = excluded.fetched_at`,
      )
      .run(contact.did, contact.name, contact.keyAgreement, contact.endpoint, contact.fetchedAt);
  }

  forgetContact(did: string): void {
    this.db.prepare('DELETE FROM contacts WHERE did = ?').run(did);
  }

  close(): void {
    this.db.close();
  }
}
