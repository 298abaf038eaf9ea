// Hub proxy overhead: the same trivial tool (the conformance fixture's `test_simple_text`) on the same
// streamable HTTP server, called directly and through the hub, which mounts that server by URL
// (`fix__test_simple_text`). The hub runs with auth on (identity in-process), like a real deployment.
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../../lib/log.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { createConformanceComponent } from '../../test/fixtures/conformance-server.ts';
import { goal, latencies, quantile, ratios, summarize, type Suite } from '../harness.ts';
import { callOk, connectHttp, startBenchHub } from '../hub-fixture.ts';

/** Calls per second with `concurrency` clients each calling back to back, `count` calls in all. */
async function throughput(clients: Client[], name: string, count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (next++ < count) await callOk(c, name, {});
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export const suite: Suite = {
  name: 'proxy',
  description: 'a trivial tool through the hub vs directly on the same HTTP server, c=1 and c=50',
  async run({ quick, progress }) {
    const runs = quick ? 2 : 5;
    const calls = quick ? 200 : 1000;
    const concurrency = 50;
    const direct = await serveHttp(createConformanceComponent(), {
      port: 0,
      verifyToken: null,
      log: silentLogger,
    });
    const bench = await startBenchHub(
      { servers: { identity: {} }, mcpServers: { fix: { url: direct.url } } },
      { catalogDefaults: false },
    );
    const clients: { direct: Client[]; hub: Client[] } = { direct: [], hub: [] };
    try {
      const token = bench.hub.operatorToken ?? undefined;
      for (let i = 0; i < concurrency; i++) {
        clients.direct.push(await connectHttp(direct.url));
        clients.hub.push(await connectHttp(bench.hub.mcpUrl, token));
      }
      const one = {
        direct: () => callOk(clients.direct[0]!, 'test_simple_text', {}),
        hub: () => callOk(clients.hub[0]!, 'fix__test_simple_text', {}),
      };
      await latencies(100, one.direct);
      await latencies(100, one.hub);
      const p50 = { direct: [] as number[], hub: [] as number[] };
      const rate1 = { direct: [] as number[], hub: [] as number[] };
      const rate50 = { direct: [] as number[], hub: [] as number[] };
      for (let r = 0; r < runs; r++) {
        progress(`run ${r + 1}/${runs}`);
        // Both paths in each run, back to back, so the machine's load falls on both alike.
        for (const path of ['direct', 'hub'] as const) {
          const samples = await latencies(calls, one[path]);
          p50[path].push(quantile(samples, 0.5));
          rate1[path].push(calls / (samples.reduce((a, b) => a + b, 0) / 1000));
          const name = path === 'direct' ? 'test_simple_text' : 'fix__test_simple_text';
          rate50[path].push(await throughput(clients[path], name, calls * 2));
        }
      }
      const added = p50.hub.map((h, i) => h - (p50.direct[i] ?? Number.NaN));
      const addedP50 = summarize(added, 'ms');
      const ratio1 = summarize(ratios(rate1.hub, rate1.direct), 'x');
      const ratio50 = summarize(ratios(rate50.hub, rate50.direct), 'x');
      return {
        metrics: {
          'direct p50 (c=1)': summarize(p50.direct, 'ms'),
          'hub p50 (c=1)': summarize(p50.hub, 'ms'),
          'added p50 (c=1)': addedP50,
          'direct calls/s (c=1)': summarize(rate1.direct, 'calls/s'),
          'hub calls/s (c=1)': summarize(rate1.hub, 'calls/s'),
          'hub / direct throughput (c=1)': ratio1,
          'direct calls/s (c=50)': summarize(rate50.direct, 'calls/s'),
          'hub calls/s (c=50)': summarize(rate50.hub, 'calls/s'),
          'hub / direct throughput (c=50)': ratio50,
        },
        goals: [
          goal('added p50 (c=1)', '≤ 0.5 ms', addedP50.median, addedP50.median <= 0.5),
          goal('throughput vs direct (c=1)', '≥ 0.8', ratio1.median, ratio1.median >= 0.8),
          goal('throughput vs direct (c=50)', '≥ 0.8', ratio50.median, ratio50.median >= 0.8),
        ],
        notes: [
          `${calls} sequential calls (c=1) and ${calls * 2} calls over ${concurrency} sessions (c=50) per path per run, after 100 warm-up calls`,
          'hub: operator bearer token, JWT verified per request; hub → server over one pooled upstream session set (streamable HTTP)',
        ],
      };
    } finally {
      await Promise.all([...clients.direct, ...clients.hub].map((c) => c.close().catch(() => {})));
      await bench.close();
      await direct.close();
    }
  },
};
