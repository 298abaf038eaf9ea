import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agent, envelopeFrom, startRouter, structured } from '../testing.ts';

test('after unsubscribe_topic new publications stop arriving; copies already delivered stay', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  await b.callTool({ name: 'subscribe_topic', arguments: { topic: 'news' } });
  const before = envelopeFrom(A, h.clock, { recipient: 'topic:news' });
  await a.callTool({ name: 'publish', arguments: { envelope: before } });
  await b.callTool({ name: 'unsubscribe_topic', arguments: { topic: 'news' } });
  const after = envelopeFrom(A, h.clock, { recipient: 'topic:news' });
  const published = structured<{ delivered: number }>(
    await a.callTool({ name: 'publish', arguments: { envelope: after } }),
  );
  assert.equal(published.delivered, 0);
  const inbox = structured<{ messages: { id: string }[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [before.id],
  );
});
