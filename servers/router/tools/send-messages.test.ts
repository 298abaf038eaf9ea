import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { inboxUri } from '../resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, structured } from '../testing.ts';

interface BatchResult {
  accepted: number;
  rejected: number;
  results: { status: string; id: string | null; code?: string; field?: string; delivered?: number }[];
}

test('send_messages reports each envelope in order and stores only the good ones', async (t) => {
  const h = await startRouter(t);
  const [A, B, C] = [agent(), agent(), agent()];
  const a = await h.connect(A.did);
  const c = await h.connect(C.did);
  await c.subscribeResource({ uri: inboxUri(C.did) });
  const notified = nextUpdate(c, inboxUri(C.did));
  await c.callTool({ name: 'subscribe_topic', arguments: { topic: 'ops' } });

  const toB = envelopeFrom(A, h.clock, { recipient: B.did });
  const toTopic = envelopeFrom(A, h.clock, { recipient: 'topic:ops' });
  const fromC = envelopeFrom(C, h.clock, { recipient: B.did });
  const result = structured<BatchResult>(
    await a.callTool({
      name: 'send_messages',
      arguments: { envelopes: [toB, fromC, toTopic, toB, { id: 42 }] },
    }),
  );
  assert.equal(result.accepted, 2);
  assert.equal(result.rejected, 3);
  assert.deepEqual(
    result.results.map((r) => [r.status, r.code ?? r.delivered, r.id]),
    [
      ['accepted', 1, toB.id],
      ['rejected', 'sender_mismatch', fromC.id],
      ['accepted', 1, toTopic.id],
      ['rejected', 'envelope_replayed', toB.id],
      ['rejected', 'envelope_invalid', null],
    ],
  );
  assert.equal(result.results[4]?.field, 'envelopes.4.id');
  await notified;
  const b = await h.connect(B.did);
  const inbox = structured<{ messages: { id: string }[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [toB.id],
  );
});

test('send_messages enforces the configured batch limit', async (t) => {
  const h = await startRouter(t, { settings: { max_batch: 2 } });
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const envelopes = [1, 2, 3].map(() => envelopeFrom(A, h.clock, { recipient: B.did }));
  const error = toolErrorOf(await a.callTool({ name: 'send_messages', arguments: { envelopes } }));
  assert.equal(error?.code, 'batch_too_large');
  const ok = structured<BatchResult>(
    await a.callTool({ name: 'send_messages', arguments: { envelopes: envelopes.slice(0, 2) } }),
  );
  assert.equal(ok.accepted, 2);
  const empty = toolErrorOf(await a.callTool({ name: 'send_messages', arguments: { envelopes: [] } }));
  assert.equal(empty?.code, 'invalid_params');
});
