// Hub proxy overhead, auth on, as same-run ratios. Two upstreams: a built-in server (identity's `get_jwks`,
// mounted in-process by the hub) and a URL-mounted one (the conformance fixture's `test_simple_text` over
// streamable HTTP). Per upstream, the same trivial call is made
//   direct — to the upstream served alone over HTTP (no auth),
//   relay  — through a plain node:http byte relay in front of that same server (the floor a proxy can reach),
//   hub    — through the hub with an operator bearer token, by 2026-07-28 clients (the goals) and by
//            2025-era session clients beside them,
//   peer   — (URL upstream) through mcp-hub from npm fronting the same server, over the transport it serves.
// Clients are thin HTTP callers on kept-alive sockets (bench/mcp-wire.ts), in this process with the hub.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type http from 'node:http';
import { silentLogger } from '../../lib/log.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { serveHttp, type HttpServing } from '../../lib/mcp/serve-http.ts';
import { component as identityComponent } from '../../servers/identity/component.ts';
import { createConformanceComponent } from '../../test/fixtures/conformance-server.ts';
import { startByteRelay, type ByteRelay } from '../byte-relay.ts';
import {
  goal,
  latencies,
  quantile,
  ratios,
  summarize,
  type Goal,
  type Metric,
  type Suite,
} from '../harness.ts';
import { startBenchHub } from '../hub-fixture.ts';
import { keepAliveAgent, legacyClient, modernClient, sseClient, type WireClient } from '../mcp-wire.ts';
import { startPeerHub, type PeerHub } from '../peer-hub.ts';

const CONCURRENCY = 32;
type PathName = 'direct' | 'relay' | 'hub' | 'hub legacy' | 'peer';

interface Path {
  name: PathName;
  /** Clients[0] serves c=1; all of them c=32. */
  clients: WireClient[];
  agent: http.Agent;
}

interface Target {
  label: string;
  paths: Path[];
}

/** Calls per second with every client calling back to back, `count` calls in all. */
async function throughput(clients: WireClient[], count: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (next++ < count) await c.call();
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function pathOf(
  name: PathName,
  open: (agent: http.Agent) => WireClient | Promise<WireClient>,
): Promise<Path> {
  const agent = keepAliveAgent(CONCURRENCY);
  const clients: WireClient[] = [];
  for (let i = 0; i < CONCURRENCY; i++) clients.push(await open(agent));
  return { name, clients, agent };
}

interface Samples {
  p50: number[];
  p99: number[];
  rate1: number[];
  rate32: number[];
}

export const suite: Suite = {
  name: 'proxy',
  description: 'a trivial tool through the hub vs direct, a byte relay and mcp-hub, c=1 and c=32, auth on',
  async run({ quick, progress }) {
    const runs = quick ? 3 : 5;
    const calls = quick ? 400 : 1500;
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-proxy-'));
    const closers: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
    try {
      // The upstreams, served alone.
      const fixture = await serveHttp(createConformanceComponent(), {
        port: 0,
        verifyToken: null,
        log: silentLogger,
      });
      closers.push(() => fixture.close());
      const composition = await composeInProcess(
        { identity: identityComponent },
        { dataDir, log: silentLogger },
      );
      closers.push(() => composition.close());
      const identity: HttpServing = await serveHttp(composition.components.get('identity')!, {
        port: 0,
        verifyToken: null,
        log: silentLogger,
      });
      closers.push(() => identity.close());
      const relays: ByteRelay[] = [await startByteRelay(identity.url), await startByteRelay(fixture.url)];
      for (const relay of relays) closers.push(() => relay.close());
      progress('starting mcp-hub');
      const peer: PeerHub = await startPeerHub('fix', fixture.url, 'test_simple_text');
      closers.push(() => peer.close());
      const bench = await startBenchHub(
        { servers: { identity: {} }, mcpServers: { fix: { url: fixture.url } } },
        { catalogDefaults: false },
      );
      closers.push(() => bench.close());
      const token = bench.hub.operatorToken ?? undefined;
      const hubUrl = bench.hub.mcpUrl;

      const targets: Target[] = [
        {
          label: 'built-in',
          paths: [
            await pathOf('direct', (a) => modernClient(a, identity.url, 'get_jwks')),
            await pathOf('relay', (a) => modernClient(a, relays[0]!.url, 'get_jwks')),
            await pathOf('hub', (a) => modernClient(a, hubUrl, 'identity__get_jwks', token)),
            await pathOf('hub legacy', (a) =>
              legacyClient(a, hubUrl, 'identity__get_jwks', token === undefined ? {} : { token }),
            ),
          ],
        },
        {
          label: 'URL',
          paths: [
            await pathOf('direct', (a) => modernClient(a, fixture.url, 'test_simple_text')),
            await pathOf('relay', (a) => modernClient(a, relays[1]!.url, 'test_simple_text')),
            await pathOf('hub', (a) => modernClient(a, hubUrl, 'fix__test_simple_text', token)),
            await pathOf('hub legacy', (a) =>
              legacyClient(a, hubUrl, 'fix__test_simple_text', token === undefined ? {} : { token }),
            ),
            await pathOf('peer', (a) => sseClient(a, peer.url, 'fix__test_simple_text', peer.version)),
          ],
        },
      ];
      for (const target of targets)
        for (const path of target.paths) {
          closers.push(() => {
            for (const c of path.clients) c.close();
            path.agent.destroy();
          });
        }

      const samples = new Map<string, Samples>();
      const of = (target: Target, path: PathName): Samples => {
        const key = `${target.label} ${path}`;
        let s = samples.get(key);
        if (!s) samples.set(key, (s = { p50: [], p99: [], rate1: [], rate32: [] }));
        return s;
      };
      for (const target of targets)
        for (const path of target.paths) {
          await latencies(200, () => path.clients[0]!.call());
          await throughput(path.clients, 400);
        }
      for (let r = 0; r < runs; r++) {
        progress(`run ${r + 1}/${runs}`);
        // Every path in each run, back to back, so the machine's load falls on all alike.
        for (const target of targets)
          for (const path of target.paths) {
            const s = of(target, path.name);
            const lat = await latencies(calls, () => path.clients[0]!.call());
            s.p50.push(quantile(lat, 0.5));
            s.p99.push(quantile(lat, 0.99));
            s.rate1.push(calls / (lat.reduce((a, b) => a + b, 0) / 1000));
            s.rate32.push(await throughput(path.clients, calls * 2));
          }
      }

      const metrics: Record<string, Metric> = {};
      const goals: Goal[] = [];
      const minus = (a: number[], b: number[]) => a.map((v, i) => v - (b[i] ?? Number.NaN));
      for (const target of targets) {
        const t = target.label;
        for (const path of target.paths) {
          const s = of(target, path.name);
          metrics[`${t} ${path.name} p50 (c=1)`] = summarize(s.p50, 'ms');
          metrics[`${t} ${path.name} p99 (c=1)`] = summarize(s.p99, 'ms');
          metrics[`${t} ${path.name} calls/s (c=1)`] = summarize(s.rate1, 'calls/s');
          metrics[`${t} ${path.name} calls/s (c=${CONCURRENCY})`] = summarize(s.rate32, 'calls/s');
        }
        const direct = of(target, 'direct');
        const relay = of(target, 'relay');
        for (const path of target.paths.filter((p) => p.name !== 'direct')) {
          const s = of(target, path.name);
          const name = `${t} ${path.name}`;
          metrics[`${name} added p50 (c=1)`] = summarize(minus(s.p50, direct.p50), 'ms');
          metrics[`${name} added p99 (c=1)`] = summarize(minus(s.p99, direct.p99), 'ms');
          if (path.name === 'relay') continue;
          metrics[`${name} / relay throughput (c=1)`] = summarize(ratios(s.rate1, relay.rate1), 'x');
          metrics[`${name} / relay throughput (c=${CONCURRENCY})`] = summarize(
            ratios(s.rate32, relay.rate32),
            'x',
          );
        }
        const hub = of(target, 'hub');
        const added50 = metrics[`${t} hub added p50 (c=1)`]!.median;
        const added99 = metrics[`${t} hub added p99 (c=1)`]!.median;
        const r1 = metrics[`${t} hub / relay throughput (c=1)`]!.median;
        const r32 = metrics[`${t} hub / relay throughput (c=${CONCURRENCY})`]!.median;
        goals.push(
          goal(`${t}: hub added p50 (c=1, modern)`, '≤ 0.4 ms', added50, added50 <= 0.4),
          goal(`${t}: hub added p99 (c=1, modern)`, '≤ 2 ms', added99, added99 <= 2),
          goal(`${t}: hub / byte relay throughput (c=1, modern)`, '≥ 0.9', r1, r1 >= 0.9),
          goal(`${t}: hub / byte relay throughput (c=${CONCURRENCY}, modern)`, '≥ 0.9', r32, r32 >= 0.9),
        );
        const peerSamples = samples.get(`${t} peer`);
        if (peerSamples) {
          metrics[`${t} hub / peer throughput (c=1)`] = summarize(ratios(hub.rate1, peerSamples.rate1), 'x');
          metrics[`${t} hub / peer throughput (c=${CONCURRENCY})`] = summarize(
            ratios(hub.rate32, peerSamples.rate32),
            'x',
          );
        }
      }
      return {
        metrics,
        goals,
        notes: [
          `${calls} sequential calls (c=1, latency and rate) and ${calls * 2} calls over ${CONCURRENCY} clients per path per run, ${runs} runs, after a warm-up; paths interleaved within each run`,
          'built-in: identity get_jwks — direct = the identity component served alone over HTTP; hub = mounted in-process',
          'URL: the conformance fixture test_simple_text over streamable HTTP, mounted by URL',
          'hub: operator bearer token on every request; "hub" = 2026-07-28 clients (the goals), "hub legacy" = 2025-11-25 sessions',
          'relay: node:http byte relay on kept-alive sockets in front of the same server, no auth',
          'peer: mcp-hub 4.2.1 (npm) fronting the same URL server, over the HTTP+SSE transport it serves at /mcp (2024-11-05), no auth, in its own process (so it has a core of its own, which the in-process hub does not)',
          'clients: thin HTTP callers on kept-alive sockets, in the hub’s process; added = path percentile minus direct percentile, same run',
        ],
      };
    } finally {
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    }
  },
};
