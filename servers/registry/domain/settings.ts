import { z } from 'zod';
import { MAX_TASK_ATTEMPTS } from '../../../schemas/task.ts';

/** The registry's section of the config file. Times are milliseconds. */
export const RegistrySettings = z
  .strictObject({
    /** How often agents are expected to heartbeat (the seed's default: every 60 s). */
    heartbeatIntervalMs: z.int().min(100).default(60_000),
    /** Missed heartbeats before an agent is `stale`. */
    staleAfterMissed: z.int().min(1).default(2),
    /** Missed heartbeats before an agent is `offline` and its tasks are re-dispatched. */
    offlineAfterMissed: z.int().min(2).default(5),
    /** How often the monitor checks liveness and deadlines; default: a quarter of the heartbeat interval. */
    monitorIntervalMs: z.int().min(10).optional(),
    /** Assignments a task gets (the first included) before it fails. */
    maxAttempts: z.int().min(1).max(MAX_TASK_ATTEMPTS).default(3),
    /** How often clients following dispatch_task as an MCP task are asked to poll tasks/get. */
    taskPollIntervalMs: z.int().min(1).default(2000),
    /** How long a trust score from the identity server is reused. */
    trustCacheMs: z.int().min(0).default(60_000),
    /** Largest sandboxed tool package (the entry file's code) publish_tool accepts. */
    maxPackageBytes: z
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
    /** How far in the future an Agent Card's issuedAt may be (clock skew). */
    maxClockSkewMs: z
      .int()
      .min(0)
      .default(5 * 60_000),
  })
  .refine((s) => s.offlineAfterMissed > s.staleAfterMissed, {
    path: ['offlineAfterMissed'],
    message: 'must be greater than staleAfterMissed',
  });
export type RegistrySettings = z.output<typeof RegistrySettings>;

export function monitorInterval(settings: RegistrySettings): number {
  return settings.monitorIntervalMs ?? Math.max(10, Math.floor(settings.heartbeatIntervalMs / 4));
}
