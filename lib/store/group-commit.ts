import type { Sqlite } from './sqlite.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes asked for during one turn of the event loop share one IMMEDIATE transaction: one commit (one WAL
 * append, and the occasional checkpoint) for every request a busy server read in that turn, instead of one
 * each. Each write runs in its own savepoint, so one that throws is rolled back and rejected alone; each
 * promise settles only after the commit, so what a caller reads next already sees its write.
 */
export class GroupCommit {
  readonly #db: Sqlite;
  readonly #group: (batch: readonly Pending[]) => Outcome[];
  #pending: Pending[] = [];

  constructor(db: Sqlite) {
    this.#db = db;
    // A better-sqlite3 transaction function called inside another transaction runs as a savepoint.
    const alone = db.transaction((write: () => unknown) => write());
    const group = db.transaction((batch: readonly Pending[]) =>
      batch.map((item): Outcome => {
        try {
          return { ok: true, value: alone(item.write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.#group = (batch) => group.immediate(batch);
  }

  /** Runs `write` (synchronous statements only) in the next group transaction. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what waits now (also before the database closes). */
  flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (!batch.length) return;
    let outcomes: Outcome[];
    try {
      if (!this.#db.open) throw new Error('the database is closed');
      outcomes = this.#group(batch);
    } catch (error) {
      // The commit itself failed (disk full, database closed): nothing of the group was written.
      for (const item of batch) item.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const item = batch[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
