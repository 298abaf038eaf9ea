/**
 * The stdio children the hub runs, by PID, from spawn until they have exited. The hub's close waits for them
 * to go; the process's exit handler kills any still running (a second signal, a crash), so none outlives it.
 */
export class ChildProcesses {
  readonly #pids = new Set<number>();
  #waiters: (() => void)[] = [];

  add(pid: number): void {
    this.#pids.add(pid);
  }

  delete(pid: number): void {
    this.#pids.delete(pid);
    if (this.#pids.size === 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  list(): number[] {
    return [...this.#pids];
  }

  /** Sends `signal` to every child still running. Synchronous, so it works in a process 'exit' handler. */
  kill(signal: NodeJS.Signals): void {
    for (const pid of this.#pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone; its close event is on the way.
      }
    }
  }

  /** Resolves once every child has exited; those still running after `graceMs` are killed. */
  async drain(graceMs: number): Promise<void> {
    if (this.#pids.size === 0) return;
    const empty = new Promise<void>((resolve) => this.#waiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([empty, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return;
    this.kill('SIGKILL');
    // A killed child's exit is reported shortly; do not hang the shutdown on one that never reports.
    const reported = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    });
    await Promise.race([empty, reported]);
    clearTimeout(timer);
  }
}
