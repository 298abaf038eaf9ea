/** A counting semaphore: at most `limit` holders; waiters are served in arrival order. */
export class Slots {
  #free: number;
  readonly #waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(grant), 1);
        reject(signal.reason as Error);
      };
      this.#waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}
