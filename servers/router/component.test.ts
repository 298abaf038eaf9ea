import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openEnvelope } from '../../lib/crypto/envelope.ts';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { inboxUri } from './resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, structured } from './testing.ts';

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

test('router settings are validated, naming the field', async (t) => {
  await assert.rejects(startRouter(t, { settings: { max_batch: 5000 } }), /max_batch/);
  await assert.rejects(startRouter(t, { settings: { unknown_knob: 1 } }), /unknown_knob/);
});
