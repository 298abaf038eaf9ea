import { cpus, totalmem, platform, arch } from 'node:os';

/** One figure: the median of repeated runs, with the spread. */
export interface Metric {
  median: number;
  min: number;
  max: number;
  unit: string;
}

export interface Goal {
  name: string;
  /** Human-readable target, e.g. '≥ 5000 msgs/s'. */
  target: string;
  value: number;
  met: boolean;
}

export interface SuiteResult {
  metrics: Record<string, Metric>;
  goals: Goal[];
  /** Anything a reader needs to interpret the figures (sizes, concurrency, what was skipped and why). */
  notes?: string[];
}

export interface SuiteOptions {
  /** Fewer repetitions and smaller sizes, for a run under two minutes. */
  quick: boolean;
  /** Progress lines go to stderr through this. */
  progress: (line: string) => void;
}

export interface Suite {
  name: string;
  description: string;
  run(options: SuiteOptions): Promise<SuiteResult>;
}

export function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${arch()}`,
    node: process.version,
  };
}

export function summarize(samples: readonly number[], unit: string): Metric {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, unit };
}

/** The value at quantile q (0..1) of the samples, nearest-rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/**
 * Runs `once` `warmup` times unmeasured, then `runs` times, and returns each run's figure. `once` returns its
 * own figure (a rate or a latency), so every suite decides what one run measures.
 */
export async function repeat(
  runs: number,
  warmup: number,
  once: () => Promise<number> | number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once();
  const figures: number[] = [];
  for (let i = 0; i < runs; i++) figures.push(await once());
  return figures;
}

/** Operations per second of `op` run `count` times back to back (synchronous or awaited one at a time). */
export async function rate(count: number, op: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

/** Per-call latencies in milliseconds. */
export async function latencies(count: number, op: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await op(i);
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

export function goal(name: string, target: string, value: number, met: boolean): Goal {
  return { name, target, value, met };
}

/** Run-by-run ratios of two series measured in the same run (a[i] / b[i]). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v / (b[i] ?? Number.NaN));
}
