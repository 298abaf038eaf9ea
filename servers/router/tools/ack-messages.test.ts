import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { agent, envelopeFrom, startRouter, structured } from '../testing.ts';

test('ack_messages removes only the listed messages, reports unknown ids, and is idempotent', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const envs = [1, 2, 3].map(() => envelopeFrom(A, h.clock, { recipient: B.did }));
  await a.callTool({ name: 'send_messages', arguments: { envelopes: envs } });
  const b = await h.connect(B.did);
  const ack = async (ids: string[]) =>
    structured<{ acked: string[]; unknown: string[] }>(
      await b.callTool({ name: 'ack_messages', arguments: { ids } }),
    );
  const stranger = envelopeFrom(A, h.clock, { recipient: A.did }).id;
  assert.deepEqual(await ack([envs[0]!.id, envs[2]!.id, stranger]), {
    acked: [envs[0]!.id, envs[2]!.id],
    unknown: [stranger],
  });
  assert.deepEqual(await ack([envs[0]!.id]), { acked: [], unknown: [envs[0]!.id] });
  const left = structured<{ messages: { id: string }[] }>(
    await b.callTool({ name: 'fetch_inbox', arguments: {} }),
  );
  assert.deepEqual(
    left.messages.map((m) => m.id),
    [envs[1]!.id],
  );
  const bad = toolErrorOf(await b.callTool({ name: 'ack_messages', arguments: { ids: ['not-an-id'] } }));
  assert.equal(bad?.code, 'invalid_params');
});
