import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { inboxUri } from '../resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, structured } from '../testing.ts';

test('publish copies a topic envelope into every current subscriber inbox but the sender', async (t) => {
  const h = await startRouter(t);
  const [A, B, C, D] = [agent(), agent(), agent(), agent()];
  const [a, b, c, d] = await Promise.all([A, B, C, D].map((x) => h.connect(x.did)));
  for (const client of [a!, b!, c!]) {
    structured(
      await client.callTool({ name: 'subscribe_topic', arguments: { topic: 'team.alpha/standup' } }),
    );
  }
  await b!.subscribeResource({ uri: inboxUri(B.did) });
  const bNotified = nextUpdate(b!, inboxUri(B.did));

  const env = envelopeFrom(A, h.clock, {
    recipient: 'topic:team.alpha/standup',
    content: { text: 'standup' },
  });
  assert.deepEqual(structured(await a!.callTool({ name: 'publish', arguments: { envelope: env } })), {
    id: env.id,
    topic: 'team.alpha/standup',
    delivered: 2,
  });
  await bNotified;
  const inboxOf = async (client: typeof a) =>
    structured<{ messages: { id: string }[] }>(
      await client!.callTool({ name: 'fetch_inbox', arguments: {} }),
    ).messages.map((m) => m.id);
  assert.deepEqual(await inboxOf(b), [env.id]);
  assert.deepEqual(await inboxOf(c), [env.id]);
  assert.deepEqual(await inboxOf(a), []);
  assert.deepEqual(await inboxOf(d), []);
});

test('publish refuses agent recipients; a topic without subscribers reaches nobody', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const direct = envelopeFrom(A, h.clock, { recipient: B.did });
  const error = toolErrorOf(await a.callTool({ name: 'publish', arguments: { envelope: direct } }));
  assert.equal(error?.code, 'recipient_not_topic');
  assert.equal(error.field, 'envelope.recipient');
  const nobody = envelopeFrom(A, h.clock, { recipient: 'topic:quiet' });
  assert.equal(
    structured<{ delivered: number }>(await a.callTool({ name: 'publish', arguments: { envelope: nobody } }))
      .delivered,
    0,
  );
});
