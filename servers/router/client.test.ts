// The typed router client (lib/clients/router.ts) against the real router in this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../lib/clients/errors.ts';
import { routerClient } from '../../lib/clients/router.ts';
import { T0, agent, envelopeFrom, startRouter } from './testing.ts';

test('every router tool other parts call answers through the typed client, parsed', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = routerClient(await h.connect(A.did));
  const b = routerClient(await h.connect(B.did));

  const one = envelopeFrom(A, h.clock, { recipient: B.did });
  assert.deepEqual(await a.sendMessage({ envelope: one }), { id: one.id, recipient: B.did, delivered: 1 });
  const batch = [
    envelopeFrom(A, h.clock, { recipient: B.did }),
    envelopeFrom(A, h.clock, { recipient: B.did }),
  ];
  const sent = await a.sendMessages({ envelopes: batch });
  assert.deepEqual([sent.accepted, sent.rejected], [2, 0]);

  const inbox = await b.fetchInbox({});
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [one.id, ...batch.map((m) => m.id)],
  );
  assert.deepEqual(inbox.messages[0], one);
  const acked = await b.ackMessages({ ids: inbox.messages.map((m) => m.id) });
  assert.deepEqual([acked.acked.length, acked.unknown], [3, []]);

  assert.deepEqual(await b.subscribeTopic({ topic: 'news' }), {
    topic: 'news',
    changed: true,
    topics: ['news'],
  });
  assert.deepEqual(await b.unsubscribeTopic({ topic: 'news' }), { topic: 'news', changed: true, topics: [] });

  const service = routerClient(await h.composition.connect('router'));
  const event = await service.publishEvent({ type: 'agent.online', subject: A.did, data: { load: 0.2 } });
  assert.deepEqual([event.type, event.timestamp], ['agent.online', T0]);
  const events = await b.fetchEvents({ types: ['agent.online'] });
  assert.deepEqual(
    events.events.map((e) => e.id),
    [event.id],
  );
});

test('the router’s refusals arrive with their code, kind and field', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = routerClient(await h.connect(A.did));
  const { signature: _signature, ...unsigned } = envelopeFrom(A, h.clock, { recipient: B.did });
  const refused = await a
    .sendMessage({ envelope: { ...unsigned, signature: 'A'.repeat(86) } })
    .catch((e: unknown) => e);
  assert.ok(refused instanceof ToolError, String(refused));
  assert.equal(refused.code, 'signature_invalid');

  const asOther = await a
    .sendMessage({ envelope: envelopeFrom(B, h.clock, { recipient: A.did }) })
    .catch((e: unknown) => e);
  assert.ok(asOther instanceof ToolError);
  assert.deepEqual([asOther.kind, asOther.code], ['forbidden', 'sender_mismatch']);

  const notAdmin = await a.publishEvent({ type: 'agent.online', subject: A.did }).catch((e: unknown) => e);
  assert.ok(notAdmin instanceof ToolError);
  assert.deepEqual([notAdmin.kind, notAdmin.code], ['forbidden', 'insufficient_scope']);

  const badCursor = await a.fetchInbox({ cursor: 'abc' }).catch((e: unknown) => e);
  assert.ok(badCursor instanceof ToolError);
  assert.deepEqual([badCursor.kind, badCursor.field], ['invalid', 'cursor']);
});
