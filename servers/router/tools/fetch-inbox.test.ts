import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { agent, envelopeFrom, startRouter, structured } from '../testing.ts';

interface Page {
  messages: { id: string }[];
  cursor: string | null;
  more: boolean;
}

test('fetch_inbox returns urgent/high first, keeps per-sender order, and pages by cursor', async (t) => {
  const h = await startRouter(t);
  const [A, C, B] = [agent(), agent(), agent()];
  const a = await h.connect(A.did);
  const c = await h.connect(C.did);
  const a1 = envelopeFrom(A, h.clock, { recipient: B.did });
  const c1 = envelopeFrom(C, h.clock, { recipient: B.did, metadata: { priority: 'low' } });
  const a2 = envelopeFrom(A, h.clock, { recipient: B.did });
  const c2 = envelopeFrom(C, h.clock, { recipient: B.did, metadata: { priority: 'urgent' } });
  const a3 = envelopeFrom(A, h.clock, { recipient: B.did, metadata: { priority: 'high' } });
  await a.callTool({ name: 'send_messages', arguments: { envelopes: [a1] } });
  await c.callTool({ name: 'send_message', arguments: { envelope: c1 } });
  await a.callTool({ name: 'send_messages', arguments: { envelopes: [a2] } });
  await c.callTool({ name: 'send_message', arguments: { envelope: c2 } });
  await a.callTool({ name: 'send_message', arguments: { envelope: a3 } });

  const b = await h.connect(B.did);
  const fetch = async (args: Record<string, unknown>) =>
    structured<Page>(await b.callTool({ name: 'fetch_inbox', arguments: args }));
  const all = await fetch({});
  assert.deepEqual(
    all.messages.map((m) => m.id),
    [c2.id, a3.id, a1.id, a2.id, c1.id],
  );
  assert.equal(all.more, false);

  const first = await fetch({ limit: 2 });
  assert.deepEqual(
    first.messages.map((m) => m.id),
    [c2.id, a3.id],
  );
  assert.equal(first.more, true);
  const second = await fetch({ limit: 2, cursor: first.cursor });
  assert.deepEqual(
    second.messages.map((m) => m.id),
    [a1.id, a2.id],
  );
  const third = await fetch({ limit: 2, cursor: second.cursor });
  assert.deepEqual(
    third.messages.map((m) => m.id),
    [c1.id],
  );
  assert.equal(third.more, false);
  const past = await fetch({ cursor: third.cursor });
  assert.deepEqual(past, { messages: [], cursor: third.cursor, more: false });
  // Nothing was acked, so a fetch from the head sees everything again (at-least-once).
  assert.equal((await fetch({})).messages.length, 5);
});

test('fetch_inbox rejects a forged cursor and an out-of-range limit', async (t) => {
  const h = await startRouter(t);
  const b = await h.connect(agent().did);
  const badCursor = toolErrorOf(await b.callTool({ name: 'fetch_inbox', arguments: { cursor: 'abc' } }));
  assert.equal(badCursor?.code, 'cursor_invalid');
  assert.equal(badCursor.field, 'cursor');
  const badLimit = toolErrorOf(await b.callTool({ name: 'fetch_inbox', arguments: { limit: 5000 } }));
  assert.equal(badLimit?.code, 'invalid_params');
});
