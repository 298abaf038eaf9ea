import type { Migration } from '../../../lib/store/migrations.ts';
import { migratePg, openPg, type PgPool } from '../../../lib/store/pg.ts';
import type { EntryType, IdentityState, LogEntry } from '../../../lib/identity/identity-log.ts';
import { StoreConflictError, type Evidence, type EvidenceSource, type IdentityStore } from './store.ts';

export const IDENTITY_PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'identities, log, one-time uses, challenges, authority keys, evidence',
    sql: `
      CREATE TABLE identities (
        did TEXT PRIMARY KEY, state TEXT NOT NULL, revoked BOOLEAN NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE identity_log (
        did TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, statement TEXT NOT NULL,
        prev_hash TEXT, hash TEXT NOT NULL, recorded_at BIGINT NOT NULL, PRIMARY KEY (did, seq));
      CREATE TABLE used_once (key TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
      CREATE INDEX used_once_expiry ON used_once (expires_at);
      CREATE TABLE challenges (nonce TEXT PRIMARY KEY, did TEXT, expires_at BIGINT NOT NULL);
      CREATE INDEX challenges_expiry ON challenges (expires_at);
      CREATE TABLE authority_keys (
        slot INTEGER PRIMARY KEY CHECK (slot = 1), kid TEXT NOT NULL, secret_key BYTEA NOT NULL,
        public_key BYTEA NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE evidence (
        attester TEXT NOT NULL, subject TEXT NOT NULL, source TEXT NOT NULL, positive BOOLEAN NOT NULL,
        weight DOUBLE PRECISION NOT NULL, reference TEXT NOT NULL, recorded_at BIGINT NOT NULL, statement TEXT,
        PRIMARY KEY (subject, attester, source, reference));
    `,
  },
];

const EVIDENCE_COLUMNS = 'attester, subject, source, positive, weight, reference, recorded_at';

interface EvidenceRow {
  attester: string;
  subject: string;
  source: EvidenceSource;
  positive: boolean;
  weight: number;
  reference: string;
  recorded_at: string;
}

/** The identity store on PostgreSQL, for several identity replicas sharing one database. */
export async function openIdentityStorePg(url: string): Promise<IdentityStore> {
  const pool: PgPool = openPg(url);
  try {
    await migratePg(pool, 'identity', IDENTITY_PG_MIGRATIONS);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    async getIdentity(did) {
      const { rows } = await pool.query<{ state: string }>('SELECT state FROM identities WHERE did = $1', [
        did,
      ]);
      return rows[0] ? (JSON.parse(rows[0].state) as IdentityState) : null;
    },
    async appendEntry(entry, state) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        try {
          await client.query(
            `INSERT INTO identity_log (did, seq, type, statement, prev_hash, hash, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [
              entry.did,
              entry.seq,
              entry.type,
              JSON.stringify(entry.statement),
              entry.prevHash,
              entry.hash,
              entry.recordedAt,
            ],
          );
          await client.query(
            `INSERT INTO identities (did, state, revoked, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (did) DO UPDATE SET state = EXCLUDED.state, revoked = EXCLUDED.revoked,
             updated_at = EXCLUDED.updated_at`,
            [state.did, JSON.stringify(state), state.revoked, state.updatedAt],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          if ((error as { code?: string }).code === '23505')
            throw new StoreConflictError(`log position ${entry.seq} of ${entry.did} is taken`);
          throw error;
        }
      } finally {
        client.release();
      }
    },
    async getLog(did) {
      const { rows } = await pool.query<{
        did: string;
        seq: number;
        type: EntryType;
        statement: string;
        prev_hash: string | null;
        hash: string;
        recorded_at: string;
      }>('SELECT * FROM identity_log WHERE did = $1 ORDER BY seq', [did]);
      return rows.map((row): LogEntry => ({
        did: row.did,
        seq: row.seq,
        type: row.type,
        statement: JSON.parse(row.statement) as Record<string, unknown>,
        prevHash: row.prev_hash,
        hash: row.hash,
        recordedAt: Number(row.recorded_at),
      }));
    },
    async revokedAmong(dids) {
      if (dids.length === 0) return new Set();
      const { rows } = await pool.query<{ did: string }>(
        'SELECT did FROM identities WHERE revoked AND did = ANY($1)',
        [dids],
      );
      return new Set(rows.map((r) => r.did));
    },
    async useOnce(key, expiresAt, now) {
      const { rowCount } = await pool.query(
        `INSERT INTO used_once (key, expires_at) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE used_once.expires_at <= $3`,
        [key, expiresAt, now],
      );
      return rowCount === 1;
    },
    async saveChallenge(c) {
      await pool.query('INSERT INTO challenges (nonce, did, expires_at) VALUES ($1, $2, $3)', [
        c.nonce,
        c.did,
        c.expiresAt,
      ]);
    },
    async getChallenge(nonce) {
      const { rows } = await pool.query<{ nonce: string; did: string | null; expires_at: string }>(
        'SELECT nonce, did, expires_at FROM challenges WHERE nonce = $1',
        [nonce],
      );
      const row = rows[0];
      return row ? { nonce: row.nonce, did: row.did, expiresAt: Number(row.expires_at) } : null;
    },
    async consumeChallenge(nonce) {
      const { rowCount } = await pool.query('DELETE FROM challenges WHERE nonce = $1', [nonce]);
      return rowCount === 1;
    },
    async authorityKey(candidate) {
      await pool.query(
        `INSERT INTO authority_keys (slot, kid, secret_key, public_key, created_at) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (slot) DO NOTHING`,
        [
          candidate.kid,
          Buffer.from(candidate.secretKey),
          Buffer.from(candidate.publicKey),
          candidate.createdAt,
        ],
      );
      const { rows } = await pool.query<{
        kid: string;
        secret_key: Buffer;
        public_key: Buffer;
        created_at: string;
      }>('SELECT * FROM authority_keys WHERE slot = 1');
      const row = rows[0];
      if (!row) throw new Error('authority key vanished');
      return {
        kid: row.kid,
        secretKey: new Uint8Array(row.secret_key),
        publicKey: new Uint8Array(row.public_key),
        createdAt: Number(row.created_at),
      };
    },
    async addEvidence(e) {
      const { rowCount } = await pool.query(
        `INSERT INTO evidence (attester, subject, source, positive, weight, reference, recorded_at, statement)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [
          e.attester,
          e.subject,
          e.source,
          e.positive,
          e.weight,
          e.reference,
          e.recordedAt,
          e.statement === null ? null : JSON.stringify(e.statement),
        ],
      );
      return rowCount === 1;
    },
    async evidenceAbout(subjects, attesters) {
      if (subjects.length === 0 || attesters?.length === 0) return [];
      const { rows } = attesters
        ? await pool.query<EvidenceRow>(
            `SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE subject = ANY($1) AND attester = ANY($2)`,
            [subjects, attesters],
          )
        : await pool.query<EvidenceRow>(`SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE subject = ANY($1)`, [
            subjects,
          ]);
      return rows.map((row): Evidence => ({
        attester: row.attester,
        subject: row.subject,
        source: row.source,
        positive: row.positive,
        weight: row.weight,
        reference: row.reference,
        recordedAt: Number(row.recorded_at),
      }));
    },
    async purgeExpired(now) {
      await pool.query('DELETE FROM used_once WHERE expires_at <= $1', [now]);
      await pool.query('DELETE FROM challenges WHERE expires_at <= $1', [now]);
    },
    async close() {
      await pool.end();
    },
  };
}
