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

/**
 * Live JS heap + off-heap buffers after full collections: what the hub keeps, free of garbage. Three rounds,
 * with a turn of the event loop between them, so that what weak references and finalizers free is gone too
 * (one collection left several KB per client behind).
 */
async function retained(): Promise<number> {
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
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
  const heapBefore = await retained();
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
      heapPerClient: ((await retained()) - heapBefore) / 1024 / clients,
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
      // The first clients load code and fill caches the hub keeps anyway: measure groups after them. A heap
      // read after a full GC still moves by a few MB either way, so the median of three groups is reported.
      await measure(bench, 'modern', Math.min(wanted, 2000), budgetMs, progress);
      const groups: Measured[] = [];
      for (let i = 0; i < 3; i++)
        groups.push(await measure(bench, 'modern', Math.ceil(wanted / 3), budgetMs, progress));
      const perModern = groups.map((g) => g.heapPerClient * 1024).sort((a, b) => a - b)[1] as number;
      const modern = { clients: groups.reduce((n, g) => n + g.clients, 0) };
      const legacy = await measure(bench, 'sessions', wanted, budgetMs, progress);
      return {
        metrics: {
          '2026-07-28 clients served': summarize([modern.clients], 'clients'),
          'retained heap + external per 2026-07-28 client, after its requests': summarize(
            groups.map((g) => g.heapPerClient * 1024),
            'bytes',
          ),
          'sessions open': summarize([legacy.clients], 'sessions'),
          'time to open': summarize([legacy.seconds], 's'),
          'RSS growth per idle session': summarize([legacy.rssPerClient], 'KiB'),
          'retained heap + external per idle session': summarize([legacy.heapPerClient], 'KiB'),
        },
        goals: [
          goal(
            'retained per 2026-07-28 client between requests (median of three groups)',
            'nothing measurable (within ±512 bytes, the noise of a heap read)',
            perModern,
            Math.abs(perModern) <= 512,
          ),
          goal(`sessions held (of ${wanted} wanted)`, '10,000', legacy.clients, legacy.clients >= 10_000),
          goal(
            'retained heap + external per idle session',
            '≤ 30 KiB',
            legacy.heapPerClient,
            legacy.heapPerClient <= 30,
          ),
        ],
        notes: [
          `one hub (identity + router), operator token; a child process runs 2026-07-28 clients (tools/list, then a tool call each, 50 at a time): a warm-up group, then three groups of ${Math.ceil(wanted / 3)} measured; then it opens ${wanted} 2025-era sessions (initialize, initialized, SSE GET) within ${budgetMs / 1000} s`,
          'retained heap + external is measured after a full GC, before and after each group of clients; a negative value means the hub held less than before',
          'sessions: one measurement; the goal is on what the hub keeps per session (retained heap + external after a full GC); RSS growth is reported beside it and also counts heap the process has not given back',
        ],
      };
    } finally {
      await bench.close();
    }
  },
};
