import { join } from 'node:path';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import type { SealedKeys } from '../../lib/identity/key-vault.ts';
import type { Migration } from '../../lib/store/migrations.ts';
import { pgSql, sqliteSql, type Sql } from '../../lib/store/sql.ts';

/**
 * What the hub's authorization server keeps: its users (people who sign in), dynamically registered clients,
 * browser sessions, grants (a user's approval of a client), one-time authorization codes, rotating refresh
 * tokens and revoked access-token ids. SQLite in the data dir (`oauth.sqlite`, 0600) or PostgreSQL when the
 * hub has a database URL, so hub replicas share sign-ins. Secrets are stored only as SHA-256 hashes (codes,
 * refresh tokens, session ids, client secrets) or slow hashes (passwords).
 */

export interface UserRecord {
  name: string;
  did: string;
  passwordHash: string;
  /** The most this user's tokens may carry. */
  scopes: string[];
  sealedKeys: SealedKeys;
  createdAt: number;
  /** When the DID was registered with identity; null until then. */
  registeredAt: number | null;
}

export interface ClientRecord {
  clientId: string;
  /** The RFC 7591 metadata as registered (validated). */
  metadata: Record<string, unknown>;
  secretHash: string | null;
  createdAt: number;
}

export interface SessionRecord {
  idHash: string;
  user: string;
  createdAt: number;
  expiresAt: number;
}

/** A user's approval of a client: what the approved-clients page lists and what its tokens hang from. */
export interface GrantRecord {
  id: string;
  user: string;
  clientId: string;
  clientName: string;
  redirectUri: string;
  scopes: string[];
  resource: string;
  createdAt: number;
  lastUsedAt: number;
  /** Refresh tokens stop working after this; each refresh moves it forward. */
  expiresAt: number;
  revokedAt: number | null;
}

export interface CodeRecord {
  codeHash: string;
  grantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  expiresAt: number;
}

/** A one-time secret looked up: `reused` when it was spent before (the caller revokes what hangs from it). */
export interface Taken<T> {
  record: T;
  reused: boolean;
}

export interface OAuthStore {
  /** False when the name is taken. */
  addUser(user: UserRecord): Promise<boolean>;
  getUser(name: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  setPassword(name: string, passwordHash: string): Promise<boolean>;
  markRegistered(name: string, at: number): Promise<void>;
  /** Removes the user after revoking their grants and ending their sessions; false when unknown. */
  removeUser(name: string, now: number): Promise<boolean>;

  addClient(client: ClientRecord): Promise<void>;
  getClient(clientId: string): Promise<ClientRecord | null>;
  countClients(): Promise<number>;

  addSession(session: SessionRecord): Promise<void>;
  /** The session's user, unless unknown or expired. */
  getSession(idHash: string, now: number): Promise<SessionRecord | null>;
  deleteSession(idHash: string): Promise<void>;
  deleteUserSessions(user: string): Promise<void>;

  addGrant(grant: GrantRecord): Promise<void>;
  getGrant(id: string): Promise<GrantRecord | null>;
  /** The user's grants that are neither revoked nor expired, newest first. */
  listGrants(user: string, now: number): Promise<GrantRecord[]>;
  touchGrant(id: string, now: number, expiresAt: number): Promise<void>;
  revokeGrant(id: string, now: number): Promise<boolean>;
  /** Revokes every grant of `user` to `clientId`; returns how many. */
  revokeClientGrants(user: string, clientId: string, now: number): Promise<number>;

  addCode(code: CodeRecord): Promise<void>;
  /** Spends a code: null when unknown or expired. */
  takeCode(codeHash: string, now: number): Promise<Taken<CodeRecord> | null>;

  addRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /** Spends a refresh token: null when unknown or expired. */
  takeRefreshToken(tokenHash: string, now: number): Promise<Taken<RefreshTokenRecord> | null>;

  /** The grant a refresh token belongs to (spent or not), or null when unknown. */
  refreshTokenGrant(tokenHash: string): Promise<string | null>;

  /** Records an access token's id as revoked until it would have expired anyway. */
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  /** Whether an access token was revoked, itself or through its grant. */
  tokenRevoked(jti: string, grantId: string | null): Promise<boolean>;

  purgeExpired(now: number): Promise<void>;
  close(): Promise<void>;
}

export const OAUTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, clients, sessions, grants, codes, refresh tokens, revoked tokens',
    sql: `
      CREATE TABLE oauth_users (
        name TEXT PRIMARY KEY, did TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, scopes TEXT NOT NULL,
        sealed_keys TEXT NOT NULL, created_at BIGINT NOT NULL, registered_at BIGINT);
      CREATE TABLE oauth_clients (
        client_id TEXT PRIMARY KEY, metadata TEXT NOT NULL, secret_hash TEXT, created_at BIGINT NOT NULL);
      CREATE TABLE oauth_sessions (
        id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL);
      CREATE INDEX oauth_sessions_user ON oauth_sessions (user_name);
      CREATE TABLE oauth_grants (
        id TEXT PRIMARY KEY, user_name TEXT NOT NULL, client_id TEXT NOT NULL, client_name TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, scopes TEXT NOT NULL, resource TEXT NOT NULL, created_at BIGINT NOT NULL,
        last_used_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT);
      CREATE INDEX oauth_grants_user ON oauth_grants (user_name, client_id);
      CREATE TABLE oauth_codes (
        code_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
      CREATE TABLE oauth_refresh_tokens (
        token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
      CREATE INDEX oauth_refresh_grant ON oauth_refresh_tokens (grant_id);
      CREATE TABLE oauth_revoked_tokens (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
    `,
  },
];

type Num = number | string;
const num = (value: Num): number => Number(value);
const numOrNull = (value: Num | null): number | null => (value === null ? null : Number(value));
const scopeList = (text: string): string[] => text.split(' ').filter(Boolean);

interface UserRow {
  name: string;
  did: string;
  password_hash: string;
  scopes: string;
  sealed_keys: string;
  created_at: Num;
  registered_at: Num | null;
}

interface GrantRow {
  id: string;
  user_name: string;
  client_id: string;
  client_name: string;
  redirect_uri: string;
  scopes: string;
  resource: string;
  created_at: Num;
  last_used_at: Num;
  expires_at: Num;
  revoked_at: Num | null;
}

function toUser(row: UserRow): UserRecord {
  return {
    name: row.name,
    did: row.did,
    passwordHash: row.password_hash,
    scopes: scopeList(row.scopes),
    sealedKeys: JSON.parse(row.sealed_keys) as SealedKeys,
    createdAt: num(row.created_at),
    registeredAt: numOrNull(row.registered_at),
  };
}

function toGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    user: row.user_name,
    clientId: row.client_id,
    clientName: row.client_name,
    redirectUri: row.redirect_uri,
    scopes: scopeList(row.scopes),
    resource: row.resource,
    createdAt: num(row.created_at),
    lastUsedAt: num(row.last_used_at),
    expiresAt: num(row.expires_at),
    revokedAt: numOrNull(row.revoked_at),
  };
}

const USER_COLUMNS = 'name, did, password_hash, scopes, sealed_keys, created_at, registered_at';
const GRANT_COLUMNS =
  'id, user_name, client_id, client_name, redirect_uri, scopes, resource, created_at, last_used_at, expires_at, revoked_at';

/**
 * Spends a one-time secret in one statement (so two replicas cannot both spend it), then reads it back:
 * `reused` tells a replayed secret from a fresh one.
 */
async function take<R extends { used_at: Num | null; expires_at: Num }>(
  sql: Sql,
  table: string,
  key: string,
  value: string,
  now: number,
): Promise<{ row: R; reused: boolean } | null> {
  const spent = await sql.run(
    `UPDATE ${table} SET used_at = ? WHERE ${key} = ? AND used_at IS NULL AND expires_at > ?`,
    [now, value, now],
  );
  const row = await sql.get<R>(`SELECT * FROM ${table} WHERE ${key} = ?`, [value]);
  if (!row) return null;
  if (spent === 1) return { row, reused: false };
  return num(row.expires_at) > now ? { row, reused: true } : null;
}

/** The store over either database (lib/store/sql.ts). */
export function createOAuthStore(sql: Sql): OAuthStore {
  return {
    async addUser(u) {
      const added = await sql.run(
        `INSERT INTO oauth_users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          u.name,
          u.did,
          u.passwordHash,
          u.scopes.join(' '),
          JSON.stringify(u.sealedKeys),
          u.createdAt,
          u.registeredAt,
        ],
      );
      return added === 1;
    },
    async getUser(name) {
      const row = await sql.get<UserRow>(`SELECT ${USER_COLUMNS} FROM oauth_users WHERE name = ?`, [name]);
      return row ? toUser(row) : null;
    },
    async listUsers() {
      return (await sql.all<UserRow>(`SELECT ${USER_COLUMNS} FROM oauth_users ORDER BY name`)).map(toUser);
    },
    async setPassword(name, passwordHash) {
      return (
        (await sql.run('UPDATE oauth_users SET password_hash = ? WHERE name = ?', [passwordHash, name])) === 1
      );
    },
    async markRegistered(name, at) {
      await sql.run('UPDATE oauth_users SET registered_at = ? WHERE name = ?', [at, name]);
    },
    async removeUser(name, now) {
      // Grants and sessions first: a crash half-way leaves a user who can sign in again, never live tokens
      // of a removed one.
      await sql.run('UPDATE oauth_grants SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL', [
        now,
        name,
      ]);
      await sql.run('DELETE FROM oauth_sessions WHERE user_name = ?', [name]);
      return (await sql.run('DELETE FROM oauth_users WHERE name = ?', [name])) === 1;
    },

    async addClient(c) {
      await sql.run(
        'INSERT INTO oauth_clients (client_id, metadata, secret_hash, created_at) VALUES (?, ?, ?, ?)',
        [c.clientId, JSON.stringify(c.metadata), c.secretHash, c.createdAt],
      );
    },
    async getClient(clientId) {
      const row = await sql.get<{
        client_id: string;
        metadata: string;
        secret_hash: string | null;
        created_at: Num;
      }>('SELECT client_id, metadata, secret_hash, created_at FROM oauth_clients WHERE client_id = ?', [
        clientId,
      ]);
      return row
        ? {
            clientId: row.client_id,
            metadata: JSON.parse(row.metadata) as Record<string, unknown>,
            secretHash: row.secret_hash,
            createdAt: num(row.created_at),
          }
        : null;
    },
    async countClients() {
      const row = await sql.get<{ n: Num }>('SELECT COUNT(*) AS n FROM oauth_clients');
      return num(row?.n ?? 0);
    },

    async addSession(s) {
      await sql.run(
        'INSERT INTO oauth_sessions (id_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [s.idHash, s.user, s.createdAt, s.expiresAt],
      );
    },
    async getSession(idHash, now) {
      const row = await sql.get<{ id_hash: string; user_name: string; created_at: Num; expires_at: Num }>(
        'SELECT id_hash, user_name, created_at, expires_at FROM oauth_sessions WHERE id_hash = ? AND expires_at > ?',
        [idHash, now],
      );
      return row
        ? {
            idHash: row.id_hash,
            user: row.user_name,
            createdAt: num(row.created_at),
            expiresAt: num(row.expires_at),
          }
        : null;
    },
    async deleteSession(idHash) {
      await sql.run('DELETE FROM oauth_sessions WHERE id_hash = ?', [idHash]);
    },
    async deleteUserSessions(user) {
      await sql.run('DELETE FROM oauth_sessions WHERE user_name = ?', [user]);
    },

    async addGrant(g) {
      await sql.run(`INSERT INTO oauth_grants (${GRANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        g.id,
        g.user,
        g.clientId,
        g.clientName,
        g.redirectUri,
        g.scopes.join(' '),
        g.resource,
        g.createdAt,
        g.lastUsedAt,
        g.expiresAt,
        g.revokedAt,
      ]);
    },
    async getGrant(id) {
      const row = await sql.get<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM oauth_grants WHERE id = ?`, [id]);
      return row ? toGrant(row) : null;
    },
    async listGrants(user, now) {
      const rows = await sql.all<GrantRow>(
        `SELECT ${GRANT_COLUMNS} FROM oauth_grants WHERE user_name = ? AND revoked_at IS NULL AND expires_at > ?
         ORDER BY created_at DESC, id`,
        [user, now],
      );
      return rows.map(toGrant);
    },
    async touchGrant(id, now, expiresAt) {
      await sql.run('UPDATE oauth_grants SET last_used_at = ?, expires_at = ? WHERE id = ?', [
        now,
        expiresAt,
        id,
      ]);
    },
    async revokeGrant(id, now) {
      return (
        (await sql.run('UPDATE oauth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
          now,
          id,
        ])) === 1
      );
    },
    revokeClientGrants(user, clientId, now) {
      return sql.run(
        'UPDATE oauth_grants SET revoked_at = ? WHERE user_name = ? AND client_id = ? AND revoked_at IS NULL',
        [now, user, clientId],
      );
    },

    async addCode(c) {
      await sql.run(
        `INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, expires_at, used_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
        [c.codeHash, c.grantId, c.clientId, c.redirectUri, c.codeChallenge, c.expiresAt],
      );
    },
    async takeCode(codeHash, now) {
      const taken = await take<{
        code_hash: string;
        grant_id: string;
        client_id: string;
        redirect_uri: string;
        code_challenge: string;
        expires_at: Num;
        used_at: Num | null;
      }>(sql, 'oauth_codes', 'code_hash', codeHash, now);
      if (!taken) return null;
      const { row, reused } = taken;
      return {
        reused,
        record: {
          codeHash: row.code_hash,
          grantId: row.grant_id,
          clientId: row.client_id,
          redirectUri: row.redirect_uri,
          codeChallenge: row.code_challenge,
          expiresAt: num(row.expires_at),
        },
      };
    },

    async addRefreshToken(r) {
      await sql.run(
        'INSERT INTO oauth_refresh_tokens (token_hash, grant_id, expires_at, used_at) VALUES (?, ?, ?, NULL)',
        [r.tokenHash, r.grantId, r.expiresAt],
      );
    },
    async takeRefreshToken(tokenHash, now) {
      const taken = await take<{
        token_hash: string;
        grant_id: string;
        expires_at: Num;
        used_at: Num | null;
      }>(sql, 'oauth_refresh_tokens', 'token_hash', tokenHash, now);
      if (!taken) return null;
      const { row, reused } = taken;
      return {
        reused,
        record: { tokenHash: row.token_hash, grantId: row.grant_id, expiresAt: num(row.expires_at) },
      };
    },

    async refreshTokenGrant(tokenHash) {
      const row = await sql.get<{ grant_id: string }>(
        'SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = ?',
        [tokenHash],
      );
      return row?.grant_id ?? null;
    },

    async revokeToken(jti, expiresAt) {
      await sql.run(
        'INSERT INTO oauth_revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING',
        [jti, expiresAt],
      );
    },
    async tokenRevoked(jti, grantId) {
      if (await sql.get('SELECT jti FROM oauth_revoked_tokens WHERE jti = ?', [jti])) return true;
      if (grantId === null) return false;
      const grant = await sql.get<{ revoked_at: Num | null }>(
        'SELECT revoked_at FROM oauth_grants WHERE id = ?',
        [grantId],
      );
      return !grant || grant.revoked_at !== null;
    },

    async purgeExpired(now) {
      await sql.run('DELETE FROM oauth_codes WHERE expires_at <= ?', [now]);
      await sql.run('DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?', [now]);
      await sql.run('DELETE FROM oauth_sessions WHERE expires_at <= ?', [now]);
      await sql.run('DELETE FROM oauth_revoked_tokens WHERE expires_at <= ?', [now]);
      // Expired grants go; revoked ones stay until they would have expired, so their tokens stay refused.
      await sql.run('DELETE FROM oauth_grants WHERE expires_at <= ?', [now]);
    },
    close: () => sql.close(),
  };
}

/** The SQLite file of the embedded store inside a data dir. */
export function oauthDbPath(dataDir: string): string {
  return join(dataDir, 'oauth.sqlite');
}

/** The file holds password hashes and sealed keys: owner-only, like identity's. */
function privateFile(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/** PostgreSQL when a database URL is configured (hub replicas share it), else SQLite in the data dir. */
export async function openOAuthStore(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
}): Promise<OAuthStore> {
  if (options.databaseUrl)
    return createOAuthStore(await pgSql(options.databaseUrl, 'oauth', OAUTH_MIGRATIONS));
  const path = oauthDbPath(options.dataDir);
  privateFile(path);
  return createOAuthStore(sqliteSql(path, 'oauth', OAUTH_MIGRATIONS));
}
