// Scale-out message figures: two router replicas (as two processes would have them) on one PostgreSQL
// database with Redis fan-out. A sender on replica 1 sends sealed, signed 1 KiB messages in batches; a
// receiver on replica 2 fetches and acks them. Also the cross-replica wake-up latency: from a stored message
// on replica 1 to the inbox notification on replica 2. Call it from a bench suite with the service URLs.
import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/client';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { generateIdentityKeys, type IdentityKeys } from '../lib/crypto/identity-keys.ts';
import { silentLogger } from '../lib/log.ts';
import { routerClient } from '../lib/clients/router.ts';
import { authInfoFor } from '../lib/mcp/in-process.ts';
import { composeInProcess, type LocalComposition } from '../lib/mcp/local-composition.ts';
import type { Envelope } from '../schemas/envelope.ts';
import { component as router } from '../servers/router/component.ts';
import { inboxUri } from '../servers/router/resources.ts';

export interface ScaleOutMessageFigures {
  /** Messages stored per second through replica 1 (batches of `batch`). */
  sendPerSecond: number;
  /** Messages fetched and acked per second on replica 2, end to end from the first send. */
  deliverPerSecond: number;
  /** Median and 95th percentile of the cross-replica wake-up, ms. */
  wakeP50Ms: number;
  wakeP95Ms: number;
  messages: number;
}

function make(from: IdentityKeys, to: IdentityKeys): Envelope {
  return createEnvelope(
    { did: from.did, secretKey: from.signing.secretKey },
    {
      type: 'chat/message',
      recipient: to.did,
      content: { text: 'x'.repeat(1000) },
      sealTo: to.keyAgreement.publicKey,
    },
  );
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export async function measureScaleOutMessages(options: {
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  messages?: number;
  batch?: number;
  wakeSamples?: number;
}): Promise<ScaleOutMessageFigures> {
  const messages = options.messages ?? 2000;
  const batch = options.batch ?? 100;
  const settings = { router: { identity_check: false, redis_prefix: `bench-${process.pid}-${Date.now()}:` } };
  const replicas: LocalComposition[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await composeInProcess(
          { router },
          {
            dataDir: options.dataDir,
            databaseUrl: options.databaseUrl,
            redisUrl: options.redisUrl,
            log: silentLogger,
            settings,
          },
        ),
      );
    }
    const [one, two] = replicas as [LocalComposition, LocalComposition];
    const [A, B] = [generateIdentityKeys(), generateIdentityKeys()];
    const b: Client = await two.connect('router', authInfoFor(B.did, ['read', 'write']));
    const sender = routerClient(await one.connect('router', authInfoFor(A.did, ['read', 'write'])));
    const receiver = routerClient(b);

    // Wake-up latency across replicas, one message at a time.
    await b.subscribeResource({ uri: inboxUri(B.did) });
    let wake: (() => void) | null = null;
    b.setNotificationHandler('notifications/resources/updated', () => wake?.());
    const wakes: number[] = [];
    for (let i = 0; i < (options.wakeSamples ?? 50); i++) {
      const envelope = make(A, B);
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const started = performance.now();
      await sender.sendMessages({ envelopes: [envelope] });
      await woken;
      wakes.push(performance.now() - started);
      await receiver.ackMessages({ ids: [envelope.id] });
    }
    wake = null;
    wakes.sort((x, y) => x - y);

    // Throughput: sender and receiver concurrently.
    const envelopes = Array.from({ length: messages }, () => make(A, B));
    const started = performance.now();
    let sentAt = 0;
    const sending = (async () => {
      for (let i = 0; i < envelopes.length; i += batch) {
        const result = await sender.sendMessages({ envelopes: envelopes.slice(i, i + batch) });
        if (result.accepted !== Math.min(batch, envelopes.length - i)) throw new Error('a batch was refused');
      }
      sentAt = performance.now();
    })();
    let received = 0;
    while (received < messages) {
      const inbox = await receiver.fetchInbox({ limit: 500 });
      if (inbox.messages.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      await receiver.ackMessages({ ids: inbox.messages.map((m) => m.id) });
      received += inbox.messages.length;
    }
    await sending;
    const done = performance.now();
    return {
      sendPerSecond: Math.round(messages / ((sentAt - started) / 1000)),
      deliverPerSecond: Math.round(messages / ((done - started) / 1000)),
      wakeP50Ms: Number(quantile(wakes, 0.5).toFixed(2)),
      wakeP95Ms: Number(quantile(wakes, 0.95).toFixed(2)),
      messages,
    };
  } finally {
    for (const replica of replicas.reverse()) await replica.close();
  }
}
