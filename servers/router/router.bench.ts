// Router throughput in one process: sealed 1 KiB envelopes through send_messages over a real SDK client,
// then drained with fetch_inbox + ack_messages. Run alone with `node --no-node-snapshot servers/router/router.bench.ts`
// or as a bench suite (`suite`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routerClient } from '../../lib/clients/router.ts';
import { createEnvelope } from '../../lib/crypto/envelope.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor } from '../../lib/mcp/in-process.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { goal, summarize, type Suite, type SuiteResult } from '../../bench/harness.ts';
import { component } from './component.ts';

const BATCH = 500;
const CONTENT = { text: 'x'.repeat(1000) };

interface Rates {
  send: number;
  /** Messages per second of this process's CPU time: stable when other processes share the cores. */
  sendPerCpu: number;
  drain: number;
  drainPerCpu: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** One run: `batches` batches of BATCH sealed envelopes to `recipients` agents. */
async function once(batches: number, recipients: number): Promise<Rates> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
  const composition = await composeInProcess({ router: component }, { dataDir: dir, log: silentLogger });
  try {
    const sender = generateIdentityKeys();
    const targets = Array.from({ length: recipients }, () => generateIdentityKeys());
    const batchesOfEnvelopes: Envelope[][] = [];
    for (let b = 0; b < batches; b++) {
      batchesOfEnvelopes.push(
        Array.from({ length: BATCH }, (_, i) => {
          const to = targets[i % recipients]!;
          return createEnvelope(
            { did: sender.did, secretKey: sender.signing.secretKey },
            { type: 'chat/message', recipient: to.did, content: CONTENT, sealTo: to.keyAgreement.publicKey },
          );
        }),
      );
    }
    const router = routerClient(
      await composition.connect('router', authInfoFor(sender.did, ['read', 'write'])),
    );
    let start = performance.now();
    let cpu = process.cpuUsage();
    for (const envelopes of batchesOfEnvelopes) {
      const result = await router.sendMessages({ envelopes });
      if (result.accepted !== BATCH) throw new Error(`batch not fully accepted: ${JSON.stringify(result)}`);
    }
    const total = batches * BATCH;
    const send = total / ((performance.now() - start) / 1000);
    const sendPerCpu = total / cpuSeconds(cpu);

    start = performance.now();
    cpu = process.cpuUsage();
    let drained = 0;
    for (const target of targets) {
      const inbox = routerClient(
        await composition.connect('router', authInfoFor(target.did, ['read', 'write'])),
      );
      for (;;) {
        const page = await inbox.fetchInbox({ limit: 500 });
        const ids = page.messages.map((m) => m.id);
        if (ids.length === 0) break;
        await inbox.ackMessages({ ids });
        drained += ids.length;
      }
    }
    if (drained !== total) throw new Error(`drained ${drained} of ${total}`);
    const drain = drained / ((performance.now() - start) / 1000);
    return { send, sendPerCpu, drain, drainPerCpu: drained / cpuSeconds(cpu) };
  } finally {
    await composition.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: Suite = {
  name: 'router',
  description: 'sealed 1 KiB envelopes through send_messages (batches of 500) and fetch_inbox + ack_messages',
  async run({ quick, progress }): Promise<SuiteResult> {
    const runs = quick ? 2 : 5;
    const batches = quick ? 4 : 20;
    const all: Rates[] = [];
    for (let r = 0; r < runs; r++) {
      const rates = await once(batches, 10);
      all.push(rates);
      progress(
        `run ${r + 1}/${runs}: send ${rates.send.toFixed(0)} msg/s (${rates.sendPerCpu.toFixed(0)} per CPU-s), ` +
          `drain ${rates.drain.toFixed(0)} msg/s (${rates.drainPerCpu.toFixed(0)} per CPU-s)`,
      );
    }
    const metric = (key: keyof Rates, unit: string) =>
      summarize(
        all.map((r) => r[key]),
        unit,
      );
    const perCpu = metric('sendPerCpu', 'msg/CPU-s');
    return {
      metrics: {
        send_messages: metric('send', 'msg/s'),
        send_messages_cpu: perCpu,
        fetch_ack: metric('drain', 'msg/s'),
        fetch_ack_cpu: metric('drainPerCpu', 'msg/CPU-s'),
      },
      goals: [goal('send_messages per CPU second', '≥ 5000 msgs', perCpu.median, perCpu.median >= 5000)],
      notes: [
        `${batches} batches of ${BATCH} per run to 10 recipients; envelopes signed and sealed before timing`,
        'router, SQLite (WAL, synchronous=NORMAL) and client share one process and one core',
      ],
    };
  },
};

if (import.meta.main) {
  const result = await suite.run({
    quick: process.argv.includes('--quick'),
    progress: (l) => console.error(l),
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
