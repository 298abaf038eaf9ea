import type { Logger } from '../../../lib/log.ts';
import type { Schedule } from '../../../schemas/automation/tools.ts';

/**
 * Runs scheduled workflows: one timer per schedule, re-armed after each run finishes (a slow run is never
 * overlapped by its own next run). `run` records its own outcome; the scheduler only keeps time.
 */
export class Scheduler {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #run: (schedule: Schedule) => Promise<Schedule | null>;
  readonly #now: () => number;
  readonly #log: Logger;
  #closed = false;

  constructor(run: (schedule: Schedule) => Promise<Schedule | null>, now: () => number, log: Logger) {
    this.#run = run;
    this.#now = now;
    this.#log = log;
  }

  arm(schedule: Schedule): void {
    this.disarm(schedule.workflow);
    if (this.#closed) return;
    const delay = Math.max(0, schedule.next_run_at - this.#now());
    const timer = setTimeout(() => {
      this.#timers.delete(schedule.workflow);
      this.#run(schedule)
        .then((next) => {
          if (next) this.arm(next);
        })
        .catch((error: unknown) =>
          this.#log.error({ err: error, workflow: schedule.workflow }, 'scheduled run failed'),
        );
    }, delay);
    timer.unref();
    this.#timers.set(schedule.workflow, timer);
  }

  disarm(workflow: string): void {
    clearTimeout(this.#timers.get(workflow));
    this.#timers.delete(workflow);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
