import { z } from 'zod';

/** One sandboxed tool as `get_sandbox_stats` reports it: what it was granted and how its calls went. */
export const SandboxToolStats = z.object({
  name: z.string(),
  version: z.string(),
  author: z.string(),
  dir: z.string(),
  granted: z.object({
    fs: z.array(z.object({ path: z.string(), access: z.enum(['read', 'write']) })),
    net: z.array(z.string()),
    kv: z.boolean(),
    kvQuota: z.object({ bytes: z.number(), keys: z.number() }),
    wasm: z.boolean(),
    memoryMb: z.number(),
    timeMs: z.number(),
    cpuMs: z.number(),
  }),
  narrowed: z.array(z.string()),
  calls: z.number(),
  ok: z.number(),
  errors: z.record(z.string(), z.number()),
  coldStarts: z.number(),
  meanWallMs: z.number(),
  /** Over the tool's most recent calls (the last 256); null before its first call. */
  p50WallMs: z.number().nullable(),
  p99WallMs: z.number().nullable(),
  maxWallMs: z.number(),
  lastCallAt: z.number().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable(),
});
export type SandboxToolStats = z.infer<typeof SandboxToolStats>;

export const GetSandboxStatsInput = z.object({
  name: z.string().max(40).optional().describe('Only this tool'),
});
export const GetSandboxStatsOutput = z.object({
  tools: z.array(SandboxToolStats),
  failures: z.array(z.object({ dir: z.string(), code: z.string(), message: z.string() })),
  /** Worker processes, each running the isolates of the calls it takes one at a time. */
  workers: z.number(),
  /** Workers running a call now, and those started and waiting for one. */
  busy: z.number(),
  idle: z.number(),
  /** Calls waiting for a worker, and how many may wait before calls are refused as sandbox_busy. */
  queued: z.number(),
  maxQueue: z.number(),
});
export type GetSandboxStatsOutput = z.infer<typeof GetSandboxStatsOutput>;
