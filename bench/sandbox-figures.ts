// Sandbox figures for `npm run bench`: cold start (new isolate), warm call, and calls per second, measured
// through real worker processes; bench/suites/sandbox.ts turns them into the suite's result.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantile, summarize, type SuiteResult } from './harness.ts';
import { silentLogger } from '../lib/log.ts';
import { bareGrant, type Grant } from '../sandbox/permissions.ts';
import { Supervisor } from '../sandbox/supervisor.ts';
import type { ToolCode } from '../sandbox/worker/protocol.ts';

const SOURCE = 'export default (input) => ({ sum: input.a + input.b });';
const GRANT: Grant = bareGrant({ memoryMb: 16, timeMs: 5000 });
const OUTPUT_BYTES = 1024 * 1024;

function tool(key: string): ToolCode {
  return { key, name: 'adder', scope: 'bench/adder', source: SOURCE, grant: GRANT };
}

export interface SandboxFigures {
  /** Worker-side time of a call that creates its isolate (context, glue, module, call), ms. */
  coldIsolateMs: number[];
  /** The same seen from the host: IPC round trip included, ms. */
  coldRoundTripMs: number[];
  warmIsolateMs: number[];
  warmRoundTripMs: number[];
  /** Calls per second with `concurrency` calls in flight over `workers` workers. */
  callsPerSecond: number[];
  workers: number;
  concurrency: number;
}

/** Runs the measurements; `quick` trims the sample counts. */
export async function measureSandbox(options: {
  quick: boolean;
  progress?: (line: string) => void;
}): Promise<SandboxFigures> {
  const progress = options.progress ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plexus-sandbox-bench-'));
  const workers = 2;
  const concurrency = 16;
  const supervisor = new Supervisor({
    workers,
    maxQueue: 10_000,
    workerMemoryMb: 1024,
    log: silentLogger,
    worker: { kvPath: path.join(dir, 'kv.sqlite'), hosts: {}, fetchMaxBytes: 1024, fetchTimeoutMs: 1000 },
  });
  try {
    await supervisor.ready();
    const call = async (key: string) => {
      const started = performance.now();
      const outcome = await supervisor.run(tool(key), { a: 1, b: 2 }, OUTPUT_BYTES);
      if (!outcome.ok) throw new Error(`bench call failed: ${outcome.error.message}`);
      return {
        roundTrip: performance.now() - started,
        inWorker: outcome.stats.wallMs,
        cold: outcome.stats.cold,
      };
    };
    // Warm each worker's code paths first.
    for (let i = 0; i < 20; i++) await call(`warmup-${i}`);

    progress('cold start');
    const colds = options.quick ? 50 : 300;
    const coldIsolateMs: number[] = [];
    const coldRoundTripMs: number[] = [];
    for (let i = 0; i < colds; i++) {
      const r = await call(`cold-${i}`);
      if (!r.cold) throw new Error('expected a cold call');
      coldIsolateMs.push(r.inWorker);
      coldRoundTripMs.push(r.roundTrip);
    }

    progress('warm call');
    const warms = options.quick ? 500 : 3000;
    const warmIsolateMs: number[] = [];
    const warmRoundTripMs: number[] = [];
    for (let i = 0; i < 2 * workers; i++) await call('warm');
    for (let i = 0; i < warms; i++) {
      const r = await call('warm');
      if (r.cold) continue;
      warmIsolateMs.push(r.inWorker);
      warmRoundTripMs.push(r.roundTrip);
    }

    progress('throughput');
    const callsPerSecond: number[] = [];
    const perRun = options.quick ? 1000 : 5000;
    for (let run = 0; run < (options.quick ? 2 : 5); run++) {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < perRun) await call('warm');
        }),
      );
      callsPerSecond.push(perRun / ((performance.now() - started) / 1000));
    }
    return {
      coldIsolateMs,
      coldRoundTripMs,
      warmIsolateMs,
      warmRoundTripMs,
      callsPerSecond,
      workers,
      concurrency,
    };
  } finally {
    await supervisor.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function figuresToResult(f: SandboxFigures): SuiteResult {
  const coldP99 = quantile(f.coldIsolateMs, 0.99);
  const warmP50 = quantile(f.warmIsolateMs, 0.5);
  return {
    metrics: {
      'cold start in worker (new isolate)': summarize(f.coldIsolateMs, 'ms'),
      'cold start in worker p99': summarize([coldP99], 'ms'),
      'cold start round trip': summarize(f.coldRoundTripMs, 'ms'),
      'warm call in worker': summarize(f.warmIsolateMs, 'ms'),
      'warm call round trip': summarize(f.warmRoundTripMs, 'ms'),
      'warm call round trip p99': summarize([quantile(f.warmRoundTripMs, 0.99)], 'ms'),
      'calls per second': summarize(f.callsPerSecond, 'calls/s'),
    },
    goals: [
      { name: 'cold start p99 (new isolate)', target: '≤ 10 ms', value: coldP99, met: coldP99 <= 10 },
      { name: 'warm call p50', target: '≤ 1 ms', value: warmP50, met: warmP50 <= 1 },
    ],
    notes: [
      'in worker: measured inside the worker process around one call (for cold: isolate, context, glue, module compile and evaluate, call)',
      `round trip: seen by the host through the supervisor's IPC; throughput with ${f.concurrency} calls in flight over ${f.workers} workers`,
    ],
  };
}
