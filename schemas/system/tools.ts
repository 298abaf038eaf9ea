import { z } from 'zod';

export const SystemInfo = z.object({
  hostname: z.string(),
  platform: z.string(),
  release: z.string(),
  arch: z.string(),
  uptime_seconds: z.number(),
  load_average: z.array(z.number()).length(3),
  cpus: z.object({ count: z.number().int(), model: z.string(), usage_percent: z.number() }),
  memory: z.object({ total_bytes: z.number(), free_bytes: z.number(), used_percent: z.number() }),
  process: z.object({
    pid: z.number().int(),
    node: z.string(),
    uptime_seconds: z.number(),
    rss_bytes: z.number(),
  }),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const DiskUsageInput = z.object({
  paths: z
    .array(z.string().min(1).max(4096))
    .min(1)
    .max(32)
    .default(['/'])
    .describe('Paths whose file systems to report'),
});
export const DiskUsage = z.object({
  disks: z.array(
    z.object({
      path: z.string(),
      total_bytes: z.number(),
      free_bytes: z.number(),
      available_bytes: z.number(),
      used_percent: z.number(),
    }),
  ),
});
export type DiskUsage = z.infer<typeof DiskUsage>;

export const ProcessInfo = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  user: z.string(),
  cpu_percent: z.number(),
  memory_percent: z.number(),
  rss_kib: z.number(),
  elapsed: z.string(),
  command: z.string(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

export const ListProcessesInput = z.object({
  name: z.string().max(256).optional().describe('Only processes whose command contains this text'),
  sort: z.enum(['cpu', 'memory', 'pid']).default('cpu'),
  limit: z.number().int().min(1).max(1000).default(50),
});
export const ProcessList = z.object({ processes: z.array(ProcessInfo), total: z.number().int() });

export const RunCommandInput = z.object({
  command: z.string().min(1).max(128).describe('Name of an allow-listed command'),
  args: z.array(z.string().max(4096)).max(64).default([]),
});
export const CommandResult = z.object({
  command: z.string(),
  args: z.array(z.string()),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  duration_ms: z.number(),
});
export type CommandResult = z.infer<typeof CommandResult>;

export const ListCommandsOutput = z.object({
  commands: z.array(z.object({ name: z.string(), path: z.string(), description: z.string() })),
});

/** Operator allow-list: only these commands may run, each with an argument pattern every argument must match. */
export const AllowedCommand = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
  path: z.string().min(1).describe('Absolute path of the executable'),
  description: z.string().default(''),
  args_pattern: z.string().default('^[^\\0]*$').describe('Regular expression every argument must match'),
  max_args: z.number().int().min(0).max(64).default(16),
  timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  max_output_bytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  cwd: z.string().optional(),
});
export type AllowedCommand = z.infer<typeof AllowedCommand>;

export const SystemSettings = z.object({
  commands: z.array(AllowedCommand).default([]),
});
export type SystemSettings = z.infer<typeof SystemSettings>;
