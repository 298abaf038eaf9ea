import type { Logger } from '../../../lib/log.ts';

/**
 * Runs `sweep` every `intervalMs` on the (mockable) global timers, never two at once. The timer is unref'd:
 * a pending sweep does not keep the process alive.
 */
export function startSweeper(
  sweep: () => Promise<unknown>,
  intervalMs: number,
  log: Logger,
): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .catch((error: unknown) => log.error({ err: error }, 'router sweep failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
