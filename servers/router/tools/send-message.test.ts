import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { agent, envelopeFrom, startRouter, structured } from '../testing.ts';

test('send_message delivers to the recipient and reports it', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const env = envelopeFrom(A, h.clock, { recipient: B.did, thread: 'th-1' });
  assert.deepEqual(structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } })), {
    id: env.id,
    recipient: B.did,
    delivered: 1,
  });
  const b = await h.connect(B.did);
  const inbox = structured<{ messages: unknown[] }>(await b.callTool({ name: 'fetch_inbox', arguments: {} }));
  assert.deepEqual(inbox.messages, [env]);
});

test('send_message refuses expired, too old and future envelopes by the router clock', async (t) => {
  const h = await startRouter(t, { settings: { max_age_seconds: 60, max_clock_skew_seconds: 5 } });
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const send = async (envelope: unknown) =>
    toolErrorOf(await a.callTool({ name: 'send_message', arguments: { envelope } }))?.code;

  const shortLived = envelopeFrom(A, h.clock, { recipient: B.did, metadata: { ttl: 2 } });
  const old = envelopeFrom(A, h.clock, { recipient: B.did, metadata: { ttl: 3600 } });
  h.clock.advance(2_000);
  assert.equal(await send(shortLived), 'envelope_expired');
  h.clock.advance(60_000);
  assert.equal(await send(old), 'envelope_too_old');
  const future = envelopeFrom(
    A,
    { now: () => h.clock.now() + 10_000, advance: () => {} },
    { recipient: B.did },
  );
  assert.equal(await send(future), 'envelope_from_future');
  const slightlyAhead = envelopeFrom(
    A,
    { now: () => h.clock.now() + 4_000, advance: () => {} },
    {
      recipient: B.did,
    },
  );
  assert.equal(await send(slightlyAhead), undefined);
});

test('send_message takes agents only, needs write scope and an agent identity', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const toTopic = envelopeFrom(A, h.clock, { recipient: 'topic:news' });
  const writer = await h.connect(A.did);
  const error = toolErrorOf(
    await writer.callTool({ name: 'send_message', arguments: { envelope: toTopic } }),
  );
  assert.equal(error?.code, 'recipient_is_topic');
  assert.equal(error.field, 'envelope.recipient');

  const reader = await h.connect(A.did, ['read']);
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  const denied = toolErrorOf(await reader.callTool({ name: 'send_message', arguments: { envelope: env } }));
  assert.equal(denied?.code, 'insufficient_scope');

  const operator = await h.connect('operator:ops', ['read', 'write', 'admin']);
  const noDid = await operator.callTool({ name: 'send_message', arguments: { envelope: env } });
  assert.equal(noDid.isError, true);
  // Nothing above was stored: the envelope can still be sent by its real sender.
  assert.equal(
    toolErrorOf(await writer.callTool({ name: 'send_message', arguments: { envelope: env } })),
    null,
  );
});

test('a delegate (the registry through the hub link) sends as the caller it names in _meta', async (t) => {
  const h = await startRouter(t);
  const [registry, B, mallory] = [agent(), agent(), agent()];
  // The composition's default link: service principal with the delegate scope.
  const link = await h.composition.connect('router');
  const task = envelopeFrom(registry, h.clock, {
    type: 'task/assign',
    recipient: B.did,
    content: { task: 1 },
  });
  const asRegistry = { 'io.plexus/caller': { subject: registry.did, scopes: ['write'] } };
  const sent = await link.callTool({
    name: 'send_message',
    arguments: { envelope: task },
    _meta: asRegistry,
  });
  assert.equal(toolErrorOf(sent), null);
  // Naming another caller does not let the delegate sign for the registry.
  const forged = envelopeFrom(registry, h.clock, { recipient: B.did });
  const asMallory = { 'io.plexus/caller': { subject: mallory.did, scopes: ['write'] } };
  const refused = await link.callTool({
    name: 'send_message',
    arguments: { envelope: forged },
    _meta: asMallory,
  });
  assert.equal(toolErrorOf(refused)?.code, 'sender_mismatch');
});
