import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { Envelope } from '../../schemas/envelope.ts';
import { inboxUri } from '../../servers/router/resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, structured } from '../../servers/router/testing.ts';
import { freshPgDatabase } from '../helpers/services.ts';
import { privateRedis } from './private-redis.ts';

/**
 * Two router replicas on one PostgreSQL database and one Redis: mail stored through replica 1 wakes a
 * subscriber of replica 2; while Redis is down mail is still stored and fetched (polling), and after Redis
 * returns the missed wake-ups arrive and new ones resume — whichever of the replicas' connections is back first.
 */
test('a Redis outage between router replicas delays wake-ups but loses no mail', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  const redis = await privateRedis(t);
  if (!databaseUrl || !redis) return;
  const settings = { redis_prefix: 'outage:' };
  const one = await startRouter(t, { databaseUrl, redisUrl: redis.url, settings });
  const two = await startRouter(t, { databaseUrl, redisUrl: redis.url, clock: one.clock, settings });
  const [A, B] = [agent(), agent()];
  const a = await one.connect(A.did);
  const b = await two.connect(B.did);
  await b.subscribeResource({ uri: inboxUri(B.did) });
  const send = async (text: string) => {
    const envelope = envelopeFrom(A, one.clock, {
      recipient: B.did,
      content: { text },
      sealTo: B.keyAgreement.publicKey,
    });
    const result = structured<{ accepted: number }>(
      await a.callTool({ name: 'send_messages', arguments: { envelopes: [envelope] } }),
    );
    assert.equal(result.accepted, 1, text);
    return envelope.id;
  };
  const fetchIds = async () =>
    structured<{ messages: Envelope[] }>(
      await b.callTool({ name: 'fetch_inbox', arguments: {} }),
    ).messages.map((m) => m.id);

  let woken = nextUpdate(b, inboxUri(B.did));
  const first = await send('before');
  await woken;

  // Sending, subscribing and stopping do not wait for Redis: each completes while it is still down (it comes
  // back only below), so one that waited for it would hang here.
  await redis.kill();
  const during = await send('during the outage');
  assert.deepEqual(await fetchIds(), [first, during], 'polling finds the mail stored during the outage');
  const C = agent();
  const c = await two.connect(C.did);
  await c.subscribeResource({ uri: inboxUri(C.did) });
  const three = await startRouter(t, { databaseUrl, redisUrl: redis.url, clock: one.clock, settings });
  await three.stop();

  // B missed the wake-up for the mail stored during the outage: it comes once Redis is back.
  woken = nextUpdate(b, inboxUri(B.did));
  await redis.restart();
  await woken;
  // The replicas reconnect and resubscribe by themselves; wait until replica 2 listens again.
  const probe = new Redis(redis.url);
  probe.on('error', () => {});
  t.after(() => probe.disconnect());
  // C subscribed while Redis was down: its channel is renewed too.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counts = (await probe.pubsub('NUMSUB', `outage:inbox:${B.did}`, `outage:inbox:${C.did}`)) as (
      string | number
    )[];
    if (Number(counts[1]) > 0 && Number(counts[3]) > 0) break;
    assert.ok(Date.now() < deadline, `channels not renewed 30 s after Redis returned: ${counts.join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  woken = nextUpdate(b, inboxUri(B.did));
  const after = await send('after');
  await woken;
  assert.deepEqual(await fetchIds(), [first, during, after]);
  const wokenC = nextUpdate(c, inboxUri(C.did));
  const toC = envelopeFrom(A, one.clock, {
    recipient: C.did,
    content: { text: 'hi C' },
    sealTo: C.keyAgreement.publicKey,
  });
  await a.callTool({ name: 'send_messages', arguments: { envelopes: [toC] } });
  await wokenC;
  // Stopped while Redis is still up (after hooks would kill it first).
  await Promise.all([one.stop(), two.stop()]);
});
