/**
 * Events per second over the last `seconds` (one bucket per second): what `plexus status` shows as the
 * hub's message rate. Pure: the caller passes the time.
 */
export class RateWindow {
  readonly #seconds: number;
  readonly #counts: number[];
  /** The second (ms / 1000, floored) each bucket holds. */
  readonly #stamps: number[];

  constructor(seconds = 60) {
    this.#seconds = seconds;
    this.#counts = new Array<number>(seconds).fill(0);
    this.#stamps = new Array<number>(seconds).fill(-1);
  }

  record(count: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.#seconds;
    if (this.#stamps[slot] !== second) {
      this.#stamps[slot] = second;
      this.#counts[slot] = 0;
    }
    this.#counts[slot] = (this.#counts[slot] ?? 0) + count;
  }

  /** The mean rate over the last `seconds` full and current seconds. */
  perSecond(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < this.#seconds; i++) {
      const stamp = this.#stamps[i] ?? -1;
      if (stamp > second - this.#seconds && stamp <= second) total += this.#counts[i] ?? 0;
    }
    return total / this.#seconds;
  }
}
