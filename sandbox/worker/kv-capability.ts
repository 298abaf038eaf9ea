import { migrateSqlite, openSqlite, type Sqlite } from '../../lib/store/sqlite.ts';
import type { Migration } from '../../lib/store/migrations.ts';
import { CapabilityError } from './denied.ts';

export const KV_MAX_KEY = 256;
export const KV_MAX_VALUE_BYTES = 64 * 1024;
export const KV_MAX_KEYS = 10_000;
const LIST_LIMIT = 1000;

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tool kv',
    sql: `CREATE TABLE sandbox_kv (
      scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (scope, key)) WITHOUT ROWID`,
  },
];

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > KV_MAX_KEY) {
    throw new CapabilityError(`kv: key must be a string of 1..${KV_MAX_KEY} characters`);
  }
  return key;
}

/**
 * Each tool's persistent key-value store, namespaced by `author/name`. Values are JSON text; workers share
 * one SQLite file (WAL, busy timeout), so a tool sees the same data on any worker.
 */
export class KvStore {
  readonly #db: Sqlite;
  readonly #get;
  readonly #put;
  readonly #delete;
  readonly #count;
  readonly #list;

  constructor(path: string) {
    this.#db = openSqlite({ path });
    migrateSqlite(this.#db, 'sandbox_kv', MIGRATIONS);
    this.#get = this.#db.prepare<[string, string], { value: string }>(
      'SELECT value FROM sandbox_kv WHERE scope = ? AND key = ?',
    );
    this.#put = this.#db.prepare(
      `INSERT INTO sandbox_kv (scope, key, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.#delete = this.#db.prepare('DELETE FROM sandbox_kv WHERE scope = ? AND key = ?');
    this.#count = this.#db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM sandbox_kv WHERE scope = ?',
    );
    this.#list = this.#db.prepare<[string, string, string], { key: string }>(
      `SELECT key FROM sandbox_kv WHERE scope = ? AND key >= ? AND key < ? ORDER BY key LIMIT ${LIST_LIMIT}`,
    );
  }

  get(scope: string, arg: { key?: unknown }): unknown {
    const row = this.#get.get(scope, checkKey(arg.key));
    return row ? (JSON.parse(row.value) as unknown) : null;
  }

  set(scope: string, arg: { key?: unknown; value?: unknown }): null {
    const key = checkKey(arg.key);
    const text = JSON.stringify(arg.value ?? null);
    if (Buffer.byteLength(text) > KV_MAX_VALUE_BYTES) {
      throw new CapabilityError(`kv: value is larger than ${KV_MAX_VALUE_BYTES} bytes of JSON`);
    }
    this.#db.transaction(() => {
      if (!this.#get.get(scope, key) && (this.#count.get(scope)?.n ?? 0) >= KV_MAX_KEYS) {
        throw new CapabilityError(`kv: a tool may keep at most ${KV_MAX_KEYS} keys`);
      }
      this.#put.run(scope, key, text, Date.now());
    })();
    return null;
  }

  delete(scope: string, arg: { key?: unknown }): boolean {
    return this.#delete.run(scope, checkKey(arg.key)).changes > 0;
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
