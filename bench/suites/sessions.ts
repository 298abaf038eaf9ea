// Concurrent idle MCP sessions on one hub, each with an open SSE GET stream, opened by a child process (so this
// process's RSS is the hub's). RSS per session = (RSS with the sessions − RSS before) / sessions.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { goal, summarize, type Suite } from '../harness.ts';
import { startBenchHub } from '../hub-fixture.ts';

const CLIENT = join(import.meta.dirname, '..', 'sessions-client.ts');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live JS heap + off-heap buffers after a full collection: what the sessions keep, free of garbage. */
function retained(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export const suite: Suite = {
  name: 'sessions',
  description:
    'concurrent idle MCP sessions with open SSE streams on one hub: count reached, RSS per session',
  async run({ quick, progress }) {
    const wanted = quick ? 500 : 10_000;
    const budgetMs = quick ? 30_000 : 120_000;
    const bench = await startBenchHub({
      servers: { registry: { enabled: false }, memory: { enabled: false }, llm: { enabled: false } },
      limits: { maxSessions: wanted + 10 },
    });
    try {
      const token = bench.hub.operatorToken;
      if (!token) throw new Error('the hub gave no operator token');
      const before = process.memoryUsage().rss;
      const heapBefore = retained();
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [CLIENT, bench.hub.mcpUrl, token, String(wanted), String(budgetMs)],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      try {
        const lines = createInterface({ input: child.stdout });
        const exited = once(child, 'exit').then(([code]) => {
          throw new Error(`session client exited early (code ${String(code)})`);
        });
        const ready = (async () => {
          for await (const line of lines) if (line.startsWith('ready ')) return Number(line.slice(6));
          throw new Error('session client ended without reporting');
        })();
        const opened = await Promise.race([ready, exited]);
        const seconds = (performance.now() - started) / 1000;
        progress(`${opened} sessions open in ${seconds.toFixed(1)} s`);
        // Let the hub settle (GC of the setup garbage) before reading RSS.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const heapPerSession = (retained() - heapBefore) / 1024 / opened;
        const after = process.memoryUsage().rss;
        const rssPerSession = (after - before) / 1024 / opened;
        // RSS alone reads 0 when earlier suites left the process with free pages; take the larger.
        const perSession = Math.max(rssPerSession, heapPerSession);
        return {
          metrics: {
            'sessions open': summarize([opened], 'sessions'),
            'time to open': summarize([seconds], 's'),
            'hub RSS before': summarize([before / 2 ** 20], 'MiB'),
            'hub RSS with sessions': summarize([after / 2 ** 20], 'MiB'),
            'RSS growth per idle session': summarize([rssPerSession], 'KiB'),
            'retained heap + external per idle session': summarize([heapPerSession], 'KiB'),
          },
          goals: [
            goal(`sessions held (of ${wanted} wanted)`, '10,000', opened, opened >= 10_000),
            goal(
              'memory per idle session (max of RSS and retained heap)',
              '≤ 50 KB',
              perSession,
              perSession <= 50,
            ),
          ],
          notes: [
            `one hub (identity + router), operator token; a child process opens sessions 50 at a time (initialize, initialized, SSE GET) within ${budgetMs / 1000} s`,
            opened < wanted
              ? `only ${opened} of ${wanted} sessions opened within the time budget on this machine`
              : `all ${wanted} sessions opened`,
            'one measurement (no repeats): RSS is process-wide and reads low after other suites grew the process, so the goal uses the larger of RSS growth and retained heap + external after a full GC',
          ],
        };
      } finally {
        child.stdin.end();
        if (child.exitCode === null) await once(child, 'exit');
      }
    } finally {
      await bench.close();
    }
  },
};
