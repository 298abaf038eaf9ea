// Sealed + signed 1 KiB messages end to end through a real hub over HTTP: 100 agents, each a thin 2026-07-28
// client (bench/mcp-wire.ts, as in the proxy suite: an SDK client would eat the core the hub runs on) with its
// own access token, send with `router__send_messages` batches and receive with `router__receive_messages`
// (each call acks the messages of the one before it and stays open at the router, each page of mail an SSE event), verifying and opening every message. Making (seal + sign)
// and opening (verify + open) are inside the timing. Baseline in the same run: the crypto ceiling, i.e. the
// same make + verify + open in a plain loop with no hub, no HTTP and no storage.
import type http from 'node:http';
import { routerClient, type RouterClient } from '../../lib/clients/router.ts';
import { createEnvelope, openEnvelope, verifyEnvelope } from '../../lib/crypto/envelope.ts';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { INBOX_PAGE_META_KEY, InboxPageProgress, MAX_FETCH } from '../../schemas/router/tools.ts';
import { goal, quantile, type Metric, rate, ratios, summarize, type Suite } from '../harness.ts';
import { agentToken, startBenchHub, type BenchHub } from '../hub-fixture.ts';
import { keepAliveAgent, modernCaller } from '../mcp-wire.ts';

const AGENTS = 100;
const BATCH = 100;
const CONTENT = { text: 'x'.repeat(1000) };
/** How long a receiver's call stays open at the router before it acks and asks again. */
const WAIT_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function make(from: IdentityKeys, to: IdentityKeys): Envelope {
  return createEnvelope(
    { did: from.did, secretKey: from.signing.secretKey },
    { type: 'chat/message', recipient: to.did, content: CONTENT, sealTo: to.keyAgreement.publicKey },
  );
}

/** Messages per second of make + verify + open alone, on one core, with the same payload. */
async function cryptoCeiling(count: number): Promise<number> {
  const a = generateIdentityKeys();
  const b = generateIdentityKeys();
  return rate(count, () => {
    const envelope = make(a, b);
    if (!verifyEnvelope(envelope)) throw new Error('ceiling: signature did not verify');
    openEnvelope(envelope, b.keyAgreement);
  });
}

interface Agent {
  keys: IdentityKeys;
  router: RouterClient;
}

/** 100 agents connected to one hub, counting what they receive and when. */
class Network {
  agents: Agent[] = [];
  /** Kept-alive sockets for every agent: a receive waiting at the router and a send each at most. */
  readonly pool: http.Agent = keepAliveAgent(2 * AGENTS);
  received = 0;
  /** HTTP requests the agents made (counted as they start), for the requests per message. */
  requests = 0;
  /** Envelope id → time its making started; latencies are recorded while `latencies` is set. */
  sentAt = new Map<string, number>();
  latencies: number[] | null = null;
  failure: unknown = null;
  #closed = false;
  #waiter: { total: number; resolve: () => void } | null = null;

  static async connect(bench: BenchHub, count: number): Promise<Network> {
    const net = new Network();
    const keys = Array.from({ length: count }, () => generateIdentityKeys());
    for (const k of keys) {
      const token = await agentToken(bench.hub.url, k);
      net.agents.push({
        keys: k,
        router: routerClient(modernCaller(net.pool, bench.hub.mcpUrl, token), { prefix: 'router__' }),
      });
    }
    // All receiving from the same moment, calls ending together would ask again together: each agent's stays
    // open a little less than the one before's, so they end spread over a quarter of WAIT_MS.
    for (const [i, agent] of net.agents.entries())
      void net.#receive(agent.router, agent.keys, WAIT_MS - (i * WAIT_MS) / 4 / count);
    return net;
  }

  /**
   * The receiving side of one agent: one receive_messages call at a time that stays open (follow_ms), each
   * page of mail coming as a progress notification on its stream; the next call acks them all, so a message
   * costs no request of its own to fetch or to ack.
   */
  async #receive(router: RouterClient, keys: IdentityKeys, followMs: number): Promise<void> {
    let ack: string[] = [];
    while (!this.#closed) {
      try {
        this.requests++;
        const handled: string[] = [];
        const take = (messages: Record<string, unknown>[]) => {
          for (const m of messages) {
            const envelope = m as Envelope;
            if (!verifyEnvelope(envelope))
              throw new Error(`message ${String(m['id'])}: signature did not verify`);
            openEnvelope(envelope, keys.keyAgreement);
            this.#opened(envelope.id);
            handled.push(envelope.id);
          }
        };
        const onprogress = (progress: Record<string, unknown>) => {
          const meta = progress['_meta'] as Record<string, unknown> | undefined;
          try {
            take(InboxPageProgress.parse(meta?.[INBOX_PAGE_META_KEY]).messages);
          } catch (error) {
            this.#fail(error);
          }
        };
        const last = await router.receiveMessages(
          { ack, limit: MAX_FETCH, follow_ms: Math.round(followMs) },
          { onprogress },
        );
        if (this.failure !== null) return;
        take(last.messages);
        ack = handled;
      } catch (error) {
        if (!this.#closed) this.#fail(error);
        return;
      }
    }
  }

  /** Ends the run: `until` throws what went wrong. */
  #fail(error: unknown): void {
    this.failure ??= error;
    this.#waiter?.resolve();
  }

  #opened(id: string): void {
    const started = this.sentAt.get(id);
    if (started !== undefined) {
      this.sentAt.delete(id);
      this.latencies?.push(performance.now() - started);
    }
    this.received++;
    if (this.#waiter && this.received >= this.#waiter.total) this.#waiter.resolve();
  }

  /** Sends `count` messages from agent `from` (made now) to the following agents, in one or more batches. */
  async send(from: number, count: number, offset: number): Promise<void> {
    const sender = this.agents[from]!;
    for (let done = 0; done < count; done += BATCH) {
      const envelopes: Envelope[] = [];
      for (let j = done; j < Math.min(count, done + BATCH); j++) {
        const to = this.agents[(from + 1 + ((offset + j) % (this.agents.length - 1))) % this.agents.length]!;
        const started = performance.now();
        const envelope = make(sender.keys, to.keys);
        this.sentAt.set(envelope.id, started);
        envelopes.push(envelope);
      }
      this.requests++;
      const result = await sender.router.sendMessages({ envelopes });
      if (result.accepted !== envelopes.length) throw new Error(`batch refused: ${JSON.stringify(result)}`);
    }
  }

  /** Resolves when `total` messages (counted since the network started) have been opened. */
  async until(total: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.received < total && this.failure === null) {
      if (performance.now() > deadline) throw new Error(`received ${this.received} of ${total} in time`);
      await new Promise<void>((resolve) => {
        this.#waiter = { total, resolve };
        setTimeout(resolve, 1000);
      });
      this.#waiter = null;
    }
    if (this.failure !== null)
      throw this.failure instanceof Error ? this.failure : new Error(JSON.stringify(this.failure));
  }

  /** Peak: every agent sends its share at once, as fast as the hub takes it. */
  async peak(total: number): Promise<number> {
    const perAgent = Math.ceil(total / this.agents.length);
    const target = this.received + perAgent * this.agents.length;
    const started = performance.now();
    await Promise.all(this.agents.map((_, i) => this.send(i, perAgent, i)));
    await this.until(target, 120_000);
    return (perAgent * this.agents.length) / ((performance.now() - started) / 1000);
  }

  /**
   * Latencies (ms) at a steady `perSecond` in all for `seconds`, and the rate delivered: every agent paces its
   * own share on its own clock (phases spread over the interval) and sends, in one batch, whatever fell due
   * while its previous request was out. The first fifth is warm-up and not recorded.
   */
  async paced(
    perSecond: number,
    seconds: number,
  ): Promise<{ latencies: number[]; delivered: number; requests: number }> {
    const samples: number[] = [];
    const started = performance.now();
    const first = this.received;
    const each = perSecond / this.agents.length;
    let recordedFrom = 0;
    let requestsFrom = 0;
    const sentBy = await Promise.all(
      this.agents.map(async (_, i) => {
        const phase = i / this.agents.length / each;
        let sent = 0;
        for (;;) {
          const elapsed = (performance.now() - started) / 1000;
          if (elapsed >= seconds) return sent;
          if (this.latencies === null && elapsed >= seconds / 5) {
            this.latencies = samples;
            recordedFrom = this.received;
            requestsFrom = this.requests;
          }
          const due = Math.floor(each * Math.max(0, elapsed - phase)) + (elapsed >= phase ? 1 : 0) - sent;
          if (due > 0) {
            await this.send(i, due, sent * this.agents.length + i);
            sent += due;
          } else {
            const next = phase + sent / each;
            await sleep(Math.max(1, (next - elapsed) * 1000));
          }
        }
      }),
    );
    // Delivered while the load was offered (after the warm-up fifth): a queue growing shows as a shortfall.
    const delivered = (this.received - recordedFrom) / (seconds - seconds / 5);
    // Requests per message received over the same span (sends and receives, each counted as it starts).
    const requests = (this.requests - requestsFrom) / Math.max(1, this.received - recordedFrom);
    const sent = sentBy.reduce((a, b) => a + b, 0);
    await this.until(first + sent, 60_000);
    this.latencies = null;
    return { latencies: samples, delivered, requests };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.pool.destroy();
  }
}

/** One point of the latency curve: an offered load (a share of the run's peak) and what it got. */
interface Point {
  share: number;
  offered: number;
  delivered: number;
  p50: number;
  p99: number;
  /** HTTP requests per message delivered. */
  requests: number;
}

/**
 * The knee of the latency curve: the highest offered load whose p99 stays within `KNEE_FACTOR` times the p99
 * at the lightest load and whose delivered rate keeps up with the offered one (beyond it a queue grows).
 */
const KNEE_FACTOR = 3;
function knee(points: Point[]): Point | null {
  const base = points[0];
  if (!base) return null;
  let found: Point | null = null;
  for (const point of points) {
    if (point.p99 > KNEE_FACTOR * base.p99 || point.delivered < 0.9 * point.offered) break;
    found = point;
  }
  return found;
}

export const suite: Suite = {
  name: 'messages',
  description: `sealed+signed 1 KiB messages end to end through the hub over HTTP (${AGENTS} agents) vs the crypto ceiling`,
  async run({ quick, progress }) {
    const runs = quick ? 1 : 3;
    const total = quick ? 2_000 : 20_000;
    const seconds = quick ? 3 : 5;
    const shares = quick ? [0.25, 0.5, 0.8] : [0.1, 0.25, 0.5, 0.65, 0.8, 0.9];
    const peaks: number[] = [];
    const ceilings: number[] = [];
    const peakRequests: number[] = [];
    const curves: Point[][] = [];
    for (let r = 0; r < runs; r++) {
      const ceilingCount = quick ? 1_000 : 3_000;
      const bench = await startBenchHub({
        servers: { registry: { enabled: false }, memory: { enabled: false }, llm: { enabled: false } },
      });
      let net: Network | null = null;
      try {
        net = await Network.connect(bench, AGENTS);
        progress(`run ${r + 1}/${runs}: ${AGENTS} agents connected`);
        await net.peak(1_000); // warm-up: JIT, prepared statements, sender key cache
        // The ceiling just before and just after the peak, averaged: on a shared machine the CPU this process
        // gets drifts, and a ceiling taken a while apart from the peak would read the drift as overhead.
        const before = await cryptoCeiling(ceilingCount);
        const requestsBefore = net.requests;
        const peak = await net.peak(total);
        peakRequests.push((net.requests - requestsBefore) / total);
        ceilings.push((before + (await cryptoCeiling(ceilingCount))) / 2);
        peaks.push(peak);
        progress(
          `run ${r + 1}/${runs}: peak ${peak.toFixed(0)} msgs/s, ceiling ${ceilings[r]!.toFixed(0)} msgs/s`,
        );
        const curve: Point[] = [];
        for (const share of shares) {
          const offered = Math.max(1, Math.round(peak * share));
          const { latencies, delivered, requests } = await net.paced(offered, seconds);
          curve.push({
            share,
            offered,
            delivered,
            requests,
            p50: quantile(latencies, 0.5),
            p99: quantile(latencies, 0.99),
          });
          progress(
            `run ${r + 1}/${runs}: ${offered}/s offered (${share} of peak): delivered ${delivered.toFixed(0)}/s, p50 ${curve.at(-1)!.p50.toFixed(1)} ms, p99 ${curve.at(-1)!.p99.toFixed(1)} ms, ${requests.toFixed(2)} requests per message`,
          );
        }
        curves.push(curve);
      } finally {
        await net?.close();
        await bench.close();
      }
    }
    const peak = summarize(peaks, 'msgs/s');
    const ratio = summarize(ratios(peaks, ceilings), 'x');
    const at = (share: number, key: 'p50' | 'p99' | 'delivered' | 'requests') =>
      curves.map((c) => c.find((p) => p.share === share)?.[key] ?? Number.NaN);
    const curveMetrics: Record<string, Metric> = {};
    for (const share of shares) {
      const label = `${Math.round(share * 100)}% of peak`;
      curveMetrics[`latency p50 at ${label}`] = summarize(at(share, 'p50'), 'ms');
      curveMetrics[`latency p99 at ${label}`] = summarize(at(share, 'p99'), 'ms');
      curveMetrics[`delivered at ${label}`] = summarize(at(share, 'delivered'), 'msgs/s');
      curveMetrics[`HTTP requests per message at ${label}`] = summarize(at(share, 'requests'), 'x');
    }
    const knees = curves.map(knee);
    const kneeRate = summarize(
      knees.map((k) => k?.offered ?? 0),
      'msgs/s',
    );
    const kneeShare = summarize(
      knees.map((k) => k?.share ?? 0),
      'x',
    );
    const half = { p50: summarize(at(0.5, 'p50'), 'ms'), p99: summarize(at(0.5, 'p99'), 'ms') };
    return {
      metrics: {
        'end to end peak': peak,
        'crypto ceiling (make + verify + open)': summarize(ceilings, 'msgs/s'),
        'peak / crypto ceiling': ratio,
        'HTTP requests per message at peak': summarize(peakRequests, 'x'),
        ...curveMetrics,
        'knee of the latency curve': kneeRate,
        'knee / peak': kneeShare,
      },
      goals: [
        goal('share of the crypto ceiling', '≥ 0.8', ratio.median, ratio.median >= 0.8),
        goal('delivery latency p50 at half the peak', '≤ 5 ms', half.p50.median, half.p50.median <= 5),
        goal('delivery latency p99 at half the peak', '≤ 25 ms', half.p99.median, half.p99.median <= 25),
      ],
      notes: [
        `embedded hub (identity + router, SQLite) on port 0 with auth on, ${AGENTS} agents as thin 2026-07-28 HTTP clients (bench/mcp-wire.ts) in the same process; batches of ≤ ${BATCH}`,
        `peak: ${total} messages per run after a 1000-message warm-up, every agent sending its share at once`,
        `latency curve: offered loads of ${shares.join(', ')} × the run's peak, ${seconds} s each, every agent pacing its own share and batching what fell due while its last request was out; latency = making started → opened by the recipient, first fifth excluded`,
        `knee: the highest offered load whose p99 stays within ${KNEE_FACTOR}× the p99 at the lightest load and whose delivered rate keeps up (≥ 0.9 of offered)`,
        'the crypto ceiling runs on one core like the hub path (hub and clients share this process), measured just before and just after the peak and averaged; scale-out (PostgreSQL + Redis) is the `scale-out` suite',
        `receivers: one router__receive_messages call at a time per agent, acking the previous call's messages and staying open up to ${(0.75 * WAIT_MS) / 1000}–${WAIT_MS / 1000} s (follow_ms, spread over the agents), each page of mail sent as a progress notification on its SSE stream, up to ${MAX_FETCH} messages a call`,
      ],
    };
  },
};
