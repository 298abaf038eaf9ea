import { addAbortListener } from 'node:events';
import type { Logger } from '../../lib/log.ts';
import type { Upstream } from './upstream.ts';

/**
 * Starts every upstream at once and resolves when each is up or has failed its first attempt (an attempt is
 * bounded by the pool's start timeout, so one that never answers holds the start-up that long at most). A
 * failed upstream is down, logged with the reason, and retried with backoff by its pool. Resolves early when
 * `signal` aborts: the hub is stopping, and closing the upstreams cancels what is still in progress.
 */
export async function startUpstreams(
  upstreams: readonly Upstream[],
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const started = Promise.all(
    upstreams.map((upstream) =>
      upstream.start().catch((error: unknown) => {
        if (signal?.aborted) return;
        log.error(
          {
            upstream: upstream.name,
            target: upstream.connector.target,
            err: error instanceof Error ? error.message : String(error),
          },
          'upstream did not start; it is down and retried with backoff',
        );
      }),
    ),
  );
  if (!signal) {
    await started;
    return;
  }
  let listener: Disposable | undefined;
  const stopped = new Promise<void>((resolve) => {
    listener = addAbortListener(signal, () => resolve());
  });
  try {
    await Promise.race([started, stopped]);
  } finally {
    listener?.[Symbol.dispose]();
  }
}
