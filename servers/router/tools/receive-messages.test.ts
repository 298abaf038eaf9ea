import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openEnvelope, verifyEnvelope } from '../../../lib/crypto/envelope.ts';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import { agent, envelopeFrom, startRouter, streamedPages, structured } from '../testing.ts';

interface Received {
  messages: Envelope[];
  cursor: string | null;
  more: boolean;
  acked: number;
}

test('receive_messages acks the previous page with the next fetch, in inbox order', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const sent = [
    envelopeFrom(A, h.clock, { recipient: B.did, metadata: { priority: 'low' } }),
    envelopeFrom(A, h.clock, { recipient: B.did, sealTo: B.keyAgreement.publicKey, content: { text: 'hi' } }),
    envelopeFrom(A, h.clock, { recipient: B.did, metadata: { priority: 'urgent' } }),
  ];
  structured(await a.callTool({ name: 'send_messages', arguments: { envelopes: sent } }));
  const receive = async (args: Record<string, unknown>) =>
    structured<Received>(await b.callTool({ name: 'receive_messages', arguments: args }));

  const first = await receive({ limit: 2 });
  assert.deepEqual(
    first.messages.map((m) => m.id),
    [sent[2]!.id, sent[1]!.id],
  );
  assert.equal(first.more, true);
  assert.equal(first.acked, 0);
  // The envelopes are the sender's, byte for byte: they verify and open.
  assert.ok(first.messages.every((m) => verifyEnvelope(m)));
  assert.deepEqual(openEnvelope(first.messages[1]!, B.keyAgreement), { text: 'hi' });

  const second = await receive({ limit: 2, ack: first.messages.map((m) => m.id) });
  assert.deepEqual(
    second.messages.map((m) => m.id),
    [sent[0]!.id],
  );
  assert.deepEqual([second.more, second.acked], [false, 2]);
  const last = await receive({ ack: [sent[0]!.id] });
  assert.deepEqual(last, { messages: [], cursor: null, more: false, acked: 1 });
  // fetch_inbox (what older agent hosts call) sees the same, now empty, inbox.
  assert.deepEqual(
    structured<{ messages: unknown[] }>(await b.callTool({ name: 'fetch_inbox', arguments: {} })).messages,
    [],
  );
});

test('a page whose ack was lost comes again; nobody acks messages of another inbox', async (t) => {
  const h = await startRouter(t);
  const [A, B, C] = [agent(), agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const c = await h.connect(C.did);
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  const receive = async (client: typeof b, args: Record<string, unknown>) =>
    structured<Received>(await client.callTool({ name: 'receive_messages', arguments: args }));

  assert.deepEqual(
    (await receive(b, {})).messages.map((m) => m.id),
    [env.id],
  );
  // The call that would have carried the ack never arrived: the next one starts at the head again.
  assert.deepEqual(
    (await receive(b, {})).messages.map((m) => m.id),
    [env.id],
  );
  // C naming B's message acks nothing, and B still gets it.
  assert.deepEqual(await receive(c, { ack: [env.id] }), {
    messages: [],
    cursor: null,
    more: false,
    acked: 0,
  });
  const again = await receive(b, { ack: [] });
  assert.deepEqual(
    again.messages.map((m) => m.id),
    [env.id],
  );
  assert.equal((await receive(b, { ack: [env.id] })).acked, 1);
});

test('receive_messages pages past messages left unacked with the cursor, and waits after it', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const [left, next] = [
    envelopeFrom(A, h.clock, { recipient: B.did }),
    envelopeFrom(A, h.clock, { recipient: B.did }),
  ];
  structured(await a.callTool({ name: 'send_messages', arguments: { envelopes: [left, next] } }));
  const receive = async (args: Record<string, unknown>) =>
    structured<Received>(await b.callTool({ name: 'receive_messages', arguments: args }));
  const first = await receive({ limit: 1 });
  assert.deepEqual(
    first.messages.map((m) => m.id),
    [left.id],
  );
  const second = await receive({ cursor: first.cursor });
  assert.deepEqual(
    second.messages.map((m) => m.id),
    [next.id],
  );
  // Past the last message the call waits for new mail, although the one left unacked is still there.
  const waiting = receive({ ack: [next.id], cursor: second.cursor, wait_ms: 30_000 });
  const later = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: later } }));
  const third = await waiting;
  assert.deepEqual([third.messages.map((m) => m.id), third.acked], [[later.id], 1]);
  // From the head, the message left unacked comes again.
  assert.deepEqual(
    (await receive({})).messages.map((m) => m.id),
    [left.id, later.id],
  );
});

test('receive_messages waits for mail when the inbox is empty and answers with it', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  // A short wait on an empty inbox answers with an empty page.
  assert.deepEqual(
    structured<Received>(await b.callTool({ name: 'receive_messages', arguments: { wait_ms: 1 } })),
    { messages: [], cursor: null, more: false, acked: 0 },
  );
  const waiting = b.callTool({ name: 'receive_messages', arguments: { wait_ms: 30_000 } });
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  const page = structured<Received>(await waiting);
  assert.deepEqual(
    page.messages.map((m) => m.id),
    [env.id],
  );
});

test('receive_messages needs the write scope and checks its arguments, naming the field', async (t) => {
  const h = await startRouter(t);
  const B = agent();
  const reader = await h.connect(B.did, ['read']);
  const refused = toolErrorOf(await reader.callTool({ name: 'receive_messages', arguments: {} }));
  assert.equal(refused?.code, 'insufficient_scope');
  // A read-only token still reads its inbox with fetch_inbox.
  structured(await reader.callTool({ name: 'fetch_inbox', arguments: {} }));
  const b = await h.connect(B.did);
  const badAck = toolErrorOf(await b.callTool({ name: 'receive_messages', arguments: { ack: ['x'] } }));
  assert.equal(badAck?.code, 'invalid_params');
  assert.match(badAck.message, /ack/);
  const badWait = toolErrorOf(
    await b.callTool({ name: 'receive_messages', arguments: { wait_ms: 3_600_000 } }),
  );
  assert.equal(badWait?.code, 'invalid_params');
  assert.match(badWait.message, /wait_ms/);
  const badFollow = toolErrorOf(
    await b.callTool({ name: 'receive_messages', arguments: { follow_ms: -1 } }, { onprogress: () => {} }),
  );
  assert.equal(badFollow?.code, 'invalid_params');
  assert.match(badFollow.message, /follow_ms/);
});

test('receive_messages with follow_ms streams each page as a progress notification and ends with the one reaching the limit', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const send = async () => {
    const env = envelopeFrom(A, h.clock, { recipient: B.did });
    structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
    return env.id;
  };
  const waiting = await send();
  const stream = streamedPages();
  const call = b.callTool(
    { name: 'receive_messages', arguments: { follow_ms: 30_000, limit: 3 } },
    { onprogress: stream.onprogress },
  );
  // What waited comes at once, then each message as it is stored, none of them twice.
  assert.deepEqual(await stream.next(), [waiting]);
  const second = await send();
  assert.deepEqual(await stream.next(), [second]);
  // The third message reaches the call's limit: it is the answer, and the call ends.
  const third = await send();
  const last = structured<Received>(await call);
  assert.deepEqual([last.messages.map((m) => m.id), last.more, last.acked], [[third], false, 0]);
  assert.deepEqual(stream.pages, [[waiting], [second]]);
  // The next call acks what it names; the rest, sent but not acked, comes again from the head.
  const next = structured<Received>(
    await b.callTool({ name: 'receive_messages', arguments: { ack: [waiting, third] } }),
  );
  assert.deepEqual([next.messages.map((m) => m.id), next.acked], [[second], 2]);
});

test('receive_messages with follow_ms but no progress token answers with the first page, as a wait', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const waiting = b.callTool({ name: 'receive_messages', arguments: { follow_ms: 30_000 } });
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  assert.deepEqual(
    structured<Received>(await waiting).messages.map((m) => m.id),
    [env.id],
  );
});

test('with receive_follow off, receive_messages lists no follow_ms and answers a page per call, as before it', async (t) => {
  const h = await startRouter(t, { settings: { receive_follow: false } });
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  const { tools } = await b.listTools();
  const listed = tools.find((tool) => tool.name === 'receive_messages');
  assert.ok(listed && !Object.hasOwn(listed.inputSchema.properties ?? {}, 'follow_ms'));
  const stream = streamedPages();
  const waiting = b.callTool(
    { name: 'receive_messages', arguments: { wait_ms: 30_000, follow_ms: 30_000 } },
    { onprogress: stream.onprogress },
  );
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));
  assert.deepEqual(
    structured<Received>(await waiting).messages.map((m) => m.id),
    [env.id],
  );
  assert.deepEqual(stream.pages, []);
});
