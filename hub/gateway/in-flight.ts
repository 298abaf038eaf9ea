/**
 * Requests each identity has running, with a cap: one identity cannot hold every worker (streams that only
 * wait, like `subscriptions/listen`, are not counted by the caller).
 */
export class InFlight {
  readonly #running = new Map<string, number>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts one more request for `key`; null when it is at the limit, else the function that ends it. */
  begin(key: string): (() => void) | null {
    const running = this.#running.get(key) ?? 0;
    if (running >= this.#limit) return null;
    this.#running.set(key, running + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#running.get(key) ?? 1) - 1;
      if (left > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    };
  }

  running(key: string): number {
    return this.#running.get(key) ?? 0;
  }
}
