import { migrateSqlite, openSqlite, type Sqlite } from '../../lib/store/sqlite.ts';
import type { Migration } from '../../lib/store/migrations.ts';
import { CapabilityError, QuotaExceeded } from './denied.ts';

export const KV_MAX_KEY = 256;
export const KV_MAX_VALUE_BYTES = 64 * 1024;
const LIST_LIMIT = 1000;

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tool kv',
    sql: `CREATE TABLE sandbox_kv (
      scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key)) WITHOUT ROWID`,
  },
  {
    version: 2,
    name: 'tool kv usage',
    // What each tool keeps, maintained with every write so a quota check costs one row read.
    sql: `CREATE TABLE sandbox_kv_usage (
      scope TEXT PRIMARY KEY, keys INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO sandbox_kv_usage (scope, keys, bytes)
        SELECT scope, count(*), sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)))
        FROM sandbox_kv GROUP BY scope;`,
  },
];

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > KV_MAX_KEY) {
    throw new CapabilityError(`kv: key must be a string of 1..${KV_MAX_KEY} characters`);
  }
  return key;
}

/** Which tool a write is for, and how much it may keep. */
export interface KvTarget {
  /** `author/name`: the namespace. */
  scope: string;
  /** The tool's name, for messages. */
  name: string;
  quota: { bytes: number; keys: number };
}

/**
 * Each tool's persistent key-value store, namespaced by `author/name` and bounded by its quota (bytes of
 * keys and values, number of keys). Values are JSON text; workers share one SQLite file (WAL, busy timeout),
 * so a tool sees the same data on any worker, and writes take the write lock first so two workers cannot
 * both fit the last byte of a quota.
 */
export class KvStore {
  readonly #db: Sqlite;
  readonly #get;
  readonly #size;
  readonly #put;
  readonly #delete;
  readonly #usage;
  readonly #addUsage;
  readonly #list;

  constructor(path: string) {
    this.#db = openSqlite({ path });
    migrateSqlite(this.#db, 'sandbox_kv', MIGRATIONS);
    this.#get = this.#db.prepare<[string, string], { value: string }>(
      'SELECT value FROM sandbox_kv WHERE scope = ? AND key = ?',
    );
    this.#size = this.#db.prepare<[string, string], { bytes: number }>(
      `SELECT length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)) AS bytes
       FROM sandbox_kv WHERE scope = ? AND key = ?`,
    );
    this.#put = this.#db.prepare(
      `INSERT INTO sandbox_kv (scope, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.#delete = this.#db.prepare<[string, string], { bytes: number }>(
      `DELETE FROM sandbox_kv WHERE scope = ? AND key = ?
       RETURNING length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)) AS bytes`,
    );
    this.#usage = this.#db.prepare<[string], { keys: number; bytes: number }>(
      'SELECT keys, bytes FROM sandbox_kv_usage WHERE scope = ?',
    );
    this.#addUsage = this.#db.prepare(
      `INSERT INTO sandbox_kv_usage (scope, keys, bytes) VALUES (?, ?, ?)
       ON CONFLICT (scope) DO UPDATE SET keys = keys + excluded.keys, bytes = bytes + excluded.bytes`,
    );
    this.#list = this.#db.prepare<[string, string, string], { key: string }>(
      `SELECT key FROM sandbox_kv WHERE scope = ? AND key >= ? AND key < ? ORDER BY key LIMIT ${LIST_LIMIT}`,
    );
  }

  get(scope: string, arg: { key?: unknown }): unknown {
    const row = this.#get.get(scope, checkKey(arg.key));
    return row ? (JSON.parse(row.value) as unknown) : null;
  }

  set(target: KvTarget, arg: { key?: unknown; value?: unknown }): null {
    const key = checkKey(arg.key);
    const text = JSON.stringify(arg.value ?? null);
    const valueBytes = Buffer.byteLength(text);
    if (valueBytes > KV_MAX_VALUE_BYTES) {
      throw new CapabilityError(`kv: value is larger than ${KV_MAX_VALUE_BYTES} bytes of JSON`);
    }
    const { scope, name, quota } = target;
    const bytes = Buffer.byteLength(key) + valueBytes;
    this.#db
      .transaction(() => {
        const previous = this.#size.get(scope, key)?.bytes;
        const usage = this.#usage.get(scope) ?? { keys: 0, bytes: 0 };
        if (previous === undefined && usage.keys >= quota.keys) {
          throw new QuotaExceeded(
            'kv keys',
            `tool '${name}' already keeps ${usage.keys} keys, its quota; delete some before adding '${key}'`,
          );
        }
        const after = usage.bytes - (previous ?? 0) + bytes;
        // A write that shrinks what the tool keeps is always allowed, even past a quota lowered since.
        if (after > quota.bytes && after > usage.bytes) {
          throw new QuotaExceeded(
            'kv bytes',
            `writing '${key}' would bring tool '${name}' to ${after} bytes of keys and values, past its ` +
              `quota of ${quota.bytes} bytes`,
          );
        }
        this.#put.run(scope, key, text, Date.now());
        this.#addUsage.run(scope, previous === undefined ? 1 : 0, bytes - (previous ?? 0));
      })
      .immediate();
    return null;
  }

  delete(scope: string, arg: { key?: unknown }): boolean {
    const key = checkKey(arg.key);
    return this.#db
      .transaction(() => {
        const removed = this.#delete.get(scope, key);
        if (removed) this.#addUsage.run(scope, -1, -removed.bytes);
        return removed !== undefined;
      })
      .immediate();
  }

  list(scope: string, arg: { prefix?: unknown }): string[] {
    const prefix = arg.prefix ?? '';
    if (typeof prefix !== 'string' || prefix.length > KV_MAX_KEY)
      throw new CapabilityError('kv: prefix must be a string');
    return this.#list.all(scope, prefix, prefix + '\uffff').map((r) => r.key);
  }

  close(): void {
    this.#db.close();
  }
}
