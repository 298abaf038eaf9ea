// What a client costs the hub while it is not calling: 2026-07-28 clients between requests (stateless: the
// hub should keep nothing), and idle 2025-era sessions with an open SSE stream each. The clients run in a
// child process, so this process's memory is the hub's alone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { goal, summarize, type Suite } from '../harness.ts';
import { startBenchHub, type BenchHub } from '../hub-fixture.ts';

const CLIENT = join(import.meta.dirname, '..', 'sessions-client.ts');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live JS heap + off-heap buffers after a full collection: what the hub keeps, free of garbage. */
function retained(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

interface Measured {
  clients: number;
  seconds: number;
  /** KiB per client: retained heap + external, and RSS growth. */
  heapPerClient: number;
  rssPerClient: number;
}

/** Runs `count` clients of `mode` from a child process and measures the hub while the child holds them. */
async function measure(
  bench: BenchHub,
  mode: 'sessions' | 'modern',
  count: number,
  budgetMs: number,
  progress: (line: string) => void,
): Promise<Measured> {
  const token = bench.hub.operatorToken;
  if (!token) throw new Error('the hub gave no operator token');
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = retained();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLIENT, mode, bench.hub.mcpUrl, token, String(count), String(budgetMs)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    const lines = createInterface({ input: child.stdout });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`${mode} client exited early (code ${String(code)})`);
    });
    const ready = (async () => {
      for await (const line of lines) if (line.startsWith('ready ')) return Number(line.slice(6));
      throw new Error(`${mode} client ended without reporting`);
    })();
    const clients = await Promise.race([ready, exited]);
    const seconds = (performance.now() - started) / 1000;
    progress(`${clients} ${mode} clients done in ${seconds.toFixed(1)} s`);
    // Let the hub settle (GC of the setup garbage, closed sockets) before reading memory.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return {
      clients,
      seconds,
      heapPerClient: (retained() - heapBefore) / 1024 / clients,
      rssPerClient: (process.memoryUsage().rss - rssBefore) / 1024 / clients,
    };
  } finally {
    child.stdin.end();
    if (child.exitCode === null) await once(child, 'exit');
  }
}

export const suite: Suite = {
  name: 'sessions',
  description:
    'what a client costs the hub between requests: 2026-07-28 clients (stateless) and idle 2025-era sessions with open SSE streams',
  async run({ quick, progress }) {
    const wanted = quick ? 500 : 10_000;
    const budgetMs = quick ? 30_000 : 180_000;
    const bench = await startBenchHub({
      servers: { registry: { enabled: false }, memory: { enabled: false }, llm: { enabled: false } },
      limits: { maxSessions: wanted + 10 },
    });
    try {
      // The first clients load code and fill caches the hub keeps anyway: measure the ones after them.
      await measure(bench, 'modern', Math.min(wanted, 500), budgetMs, progress);
      const modern = await measure(bench, 'modern', wanted, budgetMs, progress);
      const legacy = await measure(bench, 'sessions', wanted, budgetMs, progress);
      // RSS alone reads 0 when the process already has free pages; the session goal takes the larger.
      const perSession = Math.max(legacy.rssPerClient, legacy.heapPerClient);
      return {
        metrics: {
          '2026-07-28 clients served': summarize([modern.clients], 'clients'),
          'retained heap + external per 2026-07-28 client, after its requests': summarize(
            [modern.heapPerClient * 1024],
            'bytes',
          ),
          'sessions open': summarize([legacy.clients], 'sessions'),
          'time to open': summarize([legacy.seconds], 's'),
          'RSS growth per idle session': summarize([legacy.rssPerClient], 'KiB'),
          'retained heap + external per idle session': summarize([legacy.heapPerClient], 'KiB'),
        },
        goals: [
          goal(
            'retained per 2026-07-28 client between requests',
            'nothing measurable (< 64 bytes)',
            modern.heapPerClient * 1024,
            modern.heapPerClient * 1024 < 64,
          ),
          goal(`sessions held (of ${wanted} wanted)`, '10,000', legacy.clients, legacy.clients >= 10_000),
          goal(
            'memory per idle session (max of RSS and retained heap)',
            '≤ 30 KiB',
            perSession,
            perSession <= 30,
          ),
        ],
        notes: [
          `one hub (identity + router), operator token; a child process runs ${wanted} 2026-07-28 clients (tools/list, then a tool call each, 50 at a time; measured after a warm-up group), then opens ${wanted} 2025-era sessions (initialize, initialized, SSE GET) within ${budgetMs / 1000} s`,
          'retained heap + external is measured after a full GC, before and after each group of clients; a negative value means the hub held less than before',
          'one measurement (no repeats): RSS is process-wide and reads low after other work grew the process, so the session goal uses the larger of RSS growth and retained heap',
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
