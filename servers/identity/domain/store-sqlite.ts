import type { Logger } from '../../../lib/log.ts';
import { migrateSqlite, openSqlite, type Sqlite } from '../../../lib/store/sqlite.ts';
import type { Migration } from '../../../lib/store/migrations.ts';
import type { EntryType, IdentityState, LogEntry } from '../../../lib/identity/identity-log.ts';
import { StoreConflictError, type Evidence, type EvidenceSource, type IdentityStore } from './store.ts';

export const IDENTITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'identities, log, one-time uses, challenges, authority keys, evidence',
    sql: `
      CREATE TABLE identities (
        did TEXT PRIMARY KEY, state TEXT NOT NULL, revoked INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE identity_log (
        did TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, statement TEXT NOT NULL,
        prev_hash TEXT, hash TEXT NOT NULL, recorded_at INTEGER NOT NULL, PRIMARY KEY (did, seq));
      CREATE TABLE used_once (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE INDEX used_once_expiry ON used_once (expires_at);
      CREATE TABLE challenges (nonce TEXT PRIMARY KEY, did TEXT, expires_at INTEGER NOT NULL);
      CREATE INDEX challenges_expiry ON challenges (expires_at);
      CREATE TABLE authority_keys (
        slot INTEGER PRIMARY KEY CHECK (slot = 1), kid TEXT NOT NULL, secret_key BLOB NOT NULL,
        public_key BLOB NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE evidence (
        attester TEXT NOT NULL, subject TEXT NOT NULL, source TEXT NOT NULL, positive INTEGER NOT NULL,
        weight REAL NOT NULL, reference TEXT NOT NULL, recorded_at INTEGER NOT NULL, statement TEXT,
        PRIMARY KEY (subject, attester, source, reference));
    `,
  },
];

interface LogRow {
  did: string;
  seq: number;
  type: EntryType;
  statement: string;
  prev_hash: string | null;
  hash: string;
  recorded_at: number;
}

const EVIDENCE_COLUMNS = 'attester, subject, source, positive, weight, reference, recorded_at';

interface EvidenceRow {
  attester: string;
  subject: string;
  source: EvidenceSource;
  positive: number;
  weight: number;
  reference: string;
  recorded_at: number;
}

function toEvidence(row: EvidenceRow): Evidence {
  return {
    attester: row.attester,
    subject: row.subject,
    source: row.source,
    positive: row.positive === 1,
    weight: row.weight,
    reference: row.reference,
    recordedAt: row.recorded_at,
  };
}

export function openIdentityStoreSqlite(path: string, log?: Logger): IdentityStore {
  const db: Sqlite = openSqlite({ path, log });
  migrateSqlite(db, 'identity', IDENTITY_MIGRATIONS);
  const q = {
    getIdentity: db.prepare('SELECT state FROM identities WHERE did = ?'),
    upsertIdentity: db.prepare(
      `INSERT INTO identities (did, state, revoked, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (did) DO UPDATE SET state = excluded.state, revoked = excluded.revoked,
       updated_at = excluded.updated_at`,
    ),
    insertEntry: db.prepare(
      `INSERT INTO identity_log (did, seq, type, statement, prev_hash, hash, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getLog: db.prepare('SELECT * FROM identity_log WHERE did = ? ORDER BY seq'),
    useOnce: db.prepare(
      `INSERT INTO used_once (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_once.expires_at <= ?`,
    ),
    saveChallenge: db.prepare('INSERT INTO challenges (nonce, did, expires_at) VALUES (?, ?, ?)'),
    getChallenge: db.prepare('SELECT nonce, did, expires_at FROM challenges WHERE nonce = ?'),
    consumeChallenge: db.prepare('DELETE FROM challenges WHERE nonce = ?'),
    getAuthorityKey: db.prepare('SELECT * FROM authority_keys WHERE slot = 1'),
    insertAuthorityKey: db.prepare(
      `INSERT INTO authority_keys (slot, kid, secret_key, public_key, created_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (slot) DO NOTHING`,
    ),
    addEvidence: db.prepare(
      `INSERT INTO evidence (attester, subject, source, positive, weight, reference, recorded_at, statement)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    // Variable-length id lists travel as one JSON array parameter, so one prepared statement serves all.
    revokedAmong: db.prepare(
      'SELECT did FROM identities WHERE revoked = 1 AND did IN (SELECT value FROM json_each(?))',
    ),
    evidenceAbout: db.prepare(
      `SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE subject IN (SELECT value FROM json_each(?))`,
    ),
    evidenceAboutFrom: db.prepare(
      `SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE subject IN (SELECT value FROM json_each(?))
       AND attester IN (SELECT value FROM json_each(?))`,
    ),
    purgeOnce: db.prepare('DELETE FROM used_once WHERE expires_at <= ?'),
    purgeChallenges: db.prepare('DELETE FROM challenges WHERE expires_at <= ?'),
  };

  const append = db.transaction((entry: LogEntry, state: IdentityState) => {
    try {
      q.insertEntry.run(
        entry.did,
        entry.seq,
        entry.type,
        JSON.stringify(entry.statement),
        entry.prevHash,
        entry.hash,
        entry.recordedAt,
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new StoreConflictError(`log position ${entry.seq} of ${entry.did} is taken`);
      throw error;
    }
    q.upsertIdentity.run(state.did, JSON.stringify(state), state.revoked ? 1 : 0, state.updatedAt);
  });

  return {
    async getIdentity(did) {
      const row = q.getIdentity.get(did) as { state: string } | undefined;
      return row ? (JSON.parse(row.state) as IdentityState) : null;
    },
    async appendEntry(entry, state) {
      append.immediate(entry, state);
    },
    async getLog(did) {
      return (q.getLog.all(did) as LogRow[]).map((row) => ({
        did: row.did,
        seq: row.seq,
        type: row.type,
        statement: JSON.parse(row.statement) as Record<string, unknown>,
        prevHash: row.prev_hash,
        hash: row.hash,
        recordedAt: row.recorded_at,
      }));
    },
    async revokedAmong(dids) {
      if (dids.length === 0) return new Set();
      const rows = q.revokedAmong.all(JSON.stringify(dids)) as { did: string }[];
      return new Set(rows.map((r) => r.did));
    },
    async useOnce(key, expiresAt, now) {
      return q.useOnce.run(key, expiresAt, now).changes === 1;
    },
    async saveChallenge(challenge) {
      q.saveChallenge.run(challenge.nonce, challenge.did, challenge.expiresAt);
    },
    async getChallenge(nonce) {
      const row = q.getChallenge.get(nonce) as
        { nonce: string; did: string | null; expires_at: number } | undefined;
      return row ? { nonce: row.nonce, did: row.did, expiresAt: row.expires_at } : null;
    },
    async consumeChallenge(nonce) {
      return q.consumeChallenge.run(nonce).changes === 1;
    },
    async authorityKey(candidate) {
      q.insertAuthorityKey.run(
        candidate.kid,
        Buffer.from(candidate.secretKey),
        Buffer.from(candidate.publicKey),
        candidate.createdAt,
      );
      const row = q.getAuthorityKey.get() as {
        kid: string;
        secret_key: Buffer;
        public_key: Buffer;
        created_at: number;
      };
      return {
        kid: row.kid,
        secretKey: new Uint8Array(row.secret_key),
        publicKey: new Uint8Array(row.public_key),
        createdAt: row.created_at,
      };
    },
    async addEvidence(e) {
      const statement = e.statement === null ? null : JSON.stringify(e.statement);
      const { changes } = q.addEvidence.run(
        e.attester,
        e.subject,
        e.source,
        e.positive ? 1 : 0,
        e.weight,
        e.reference,
        e.recordedAt,
        statement,
      );
      return changes === 1;
    },
    async evidenceAbout(subjects, attesters) {
      if (subjects.length === 0 || attesters?.length === 0) return [];
      const rows = attesters
        ? q.evidenceAboutFrom.all(JSON.stringify(subjects), JSON.stringify(attesters))
        : q.evidenceAbout.all(JSON.stringify(subjects));
      return (rows as EvidenceRow[]).map(toEvidence);
    },
    async purgeExpired(now) {
      q.purgeOnce.run(now);
      q.purgeChallenges.run(now);
    },
    async close() {
      db.close();
    },
  };
}
