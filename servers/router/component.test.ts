import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { openEnvelope } from '../../lib/crypto/envelope.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { freshPgDatabase, freshRedisPrefix } from '../../test/helpers/services.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { inboxUri } from './resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, streamedPages, structured } from './testing.ts';

/** Two router replicas on a fresh PostgreSQL database and Redis prefix, sharing one clock; null when skipped. */
async function twoReplicas(t: TestContext) {
  const databaseUrl = await freshPgDatabase(t);
  const redis = databaseUrl ? await freshRedisPrefix(t) : null;
  if (!databaseUrl || !redis) return null;
  const settings = { redis_prefix: redis.prefix };
  const one = await startRouter(t, { databaseUrl, redisUrl: redis.url, settings });
  const two = await startRouter(t, { databaseUrl, redisUrl: redis.url, settings, clock: one.clock });
  return { one, two };
}

test('on PostgreSQL the router delivers, notifies, refuses replays and acks like on SQLite', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  if (!databaseUrl) return;
  const h = await startRouter(t, { databaseUrl });
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  await b.subscribeResource({ uri: inboxUri(B.did) });
  const notified = nextUpdate(b, inboxUri(B.did));
  const sealed = envelopeFrom(A, h.clock, {
    recipient: B.did,
    content: { text: 'over postgres' },
    sealTo: B.keyAgreement.publicKey,
  });
  const result = structured<{ accepted: number; results: { status: string; code?: string }[] }>(
    await a.callTool({ name: 'send_messages', arguments: { envelopes: [sealed, sealed] } }),
  );
  assert.deepEqual(
    result.results.map((r) => r.code ?? r.status),
    ['accepted', 'envelope_replayed'],
  );
  await notified;
  const inbox = structured<{ messages: Envelope[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.equal(inbox.messages.length, 1);
  assert.deepEqual(openEnvelope(inbox.messages[0]!, B.keyAgreement), { text: 'over postgres' });
  structured(await b.callTool({ name: 'ack_messages', arguments: { ids: [sealed.id] } }));
  const after = structured<{ messages: Envelope[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.deepEqual(after.messages, []);
});

test('two router replicas on one PostgreSQL and Redis: mail stored by one notifies a subscriber of the other', async (t) => {
  const replicas = await twoReplicas(t);
  if (!replicas) return;
  const { one, two } = replicas;
  const [A, B] = [agent(), agent()];
  const b = await two.connect(B.did);
  await b.subscribeResource({ uri: inboxUri(B.did) });
  const notified = nextUpdate(b, inboxUri(B.did));
  const a = await one.connect(A.did);
  const env = envelopeFrom(A, one.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  await notified;
  const inbox = structured<{ messages: Envelope[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [env.id],
  );
  // The durable ledger is shared: the other replica refuses the replay although its own guard never saw it.
  const a2 = await two.connect(A.did);
  const replay = await a2.callTool({ name: 'send_message', arguments: { envelope: env } });
  assert.equal(toolErrorOf(replay)?.code, 'envelope_replayed');
});

test('two router replicas on PostgreSQL and Redis: a receive_messages waiting on one wakes for mail stored by the other', async (t) => {
  const replicas = await twoReplicas(t);
  if (!replicas) return;
  const { one, two } = replicas;
  const [A, B] = [agent(), agent()];
  const b = await two.connect(B.did);
  const waiting = b.callTool({ name: 'receive_messages', arguments: { wait_ms: 30_000 } });
  const a = await one.connect(A.did);
  const env = envelopeFrom(A, one.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  const page = structured<{ messages: Envelope[] }>(await waiting);
  assert.deepEqual(
    page.messages.map((m) => m.id),
    [env.id],
  );
  // Its ack, carried by the next call on the first replica, removes it from the shared store.
  const b1 = await one.connect(B.did);
  assert.deepEqual(
    structured(await b1.callTool({ name: 'receive_messages', arguments: { ack: [env.id] } })),
    { messages: [], cursor: null, more: false, acked: 1 },
  );
});

test('two router replicas on PostgreSQL and Redis: a receive_messages following on one streams mail stored by the other', async (t) => {
  const replicas = await twoReplicas(t);
  if (!replicas) return;
  const { one, two } = replicas;
  const [A, B] = [agent(), agent()];
  const b = await two.connect(B.did);
  const stream = streamedPages();
  const following = b.callTool(
    { name: 'receive_messages', arguments: { follow_ms: 30_000, limit: 2 } },
    { onprogress: stream.onprogress },
  );
  const a = await one.connect(A.did);
  const [first, second] = [
    envelopeFrom(A, one.clock, { recipient: B.did }),
    envelopeFrom(A, one.clock, { recipient: B.did }),
  ];
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: first } }));
  assert.deepEqual(await stream.next(), [first.id]);
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: second } }));
  // The second reaches the call's limit: it is the answer.
  const last = structured<{ messages: Envelope[] }>(await following);
  assert.deepEqual([stream.pages, last.messages.map((m) => m.id)], [[[first.id]], [second.id]]);
});

test('router settings are validated, naming the field', async (t) => {
  await assert.rejects(startRouter(t, { settings: { max_batch: 5000 } }), /max_batch/);
  await assert.rejects(startRouter(t, { settings: { unknown_knob: 1 } }), /unknown_knob/);
});
