import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/server';
import { openEnvelope, signEnvelope, verifyEnvelope } from '../../lib/crypto/envelope.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { inboxUri } from './resources.ts';
import { agent, envelopeFrom, nextUpdate, startRouter, structured, type RouterHarness } from './testing.ts';

interface Inbox {
  messages: Envelope[];
  cursor: string | null;
  more: boolean;
}

function storedRows(h: RouterHarness): { envelopes: number; deliveries: number; bodies: string[] } {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    const bodies = db.prepare('SELECT body FROM envelopes').pluck().all() as string[];
    const deliveries = db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get() as number;
    return { envelopes: bodies.length, deliveries, bodies };
  } finally {
    db.close();
  }
}

/** Every byte of the router's database files (main file and WAL). */
function rawDatabaseBytes(h: RouterHarness): Buffer {
  return Buffer.concat(
    readdirSync(h.dataDir)
      .filter((f) => f.startsWith('router.db'))
      .map((f) => readFileSync(join(h.dataDir, f))),
  );
}

test('A sends B a sealed message: B is notified, opens and verifies it; the router holds only ciphertext; ack removes it', async (t) => {
  const h = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await h.connect(A.did);
  const b = await h.connect(B.did);
  await b.subscribeResource({ uri: inboxUri(B.did) });
  const notified = nextUpdate(b, inboxUri(B.did));

  const secret = 'the launch code is 0000-PLEXUS-SECRET';
  const sealed = envelopeFrom(A, h.clock, {
    recipient: B.did,
    content: { text: secret },
    sealTo: B.keyAgreementMultibase,
    metadata: { priority: 'high' },
  });
  assert.equal(sealed.content, undefined);
  const sent = structured<{ id: string; delivered: number }>(
    await a.callTool({ name: 'send_message', arguments: { envelope: sealed } }),
  );
  assert.deepEqual(sent, { id: sealed.id, recipient: B.did, delivered: 1 });
  await notified;

  const inbox = structured<Inbox>(await b.callTool({ name: 'fetch_inbox', arguments: {} }));
  assert.equal(inbox.messages.length, 1);
  const received = inbox.messages[0]!;
  assert.deepEqual(received, sealed);
  assert.equal(verifyEnvelope(received), true);
  assert.deepEqual(openEnvelope(received, B.keyAgreement), { text: secret });

  const rows = storedRows(h);
  assert.equal(rows.envelopes, 1);
  const stored = JSON.parse(rows.bodies[0]!) as Envelope;
  assert.equal(stored.content, undefined);
  assert.equal(stored.enc?.ct, sealed.enc?.ct);
  assert.ok(!rawDatabaseBytes(h).includes(secret), 'plaintext found in the database files');

  const acked = structured<{ acked: string[]; unknown: string[] }>(
    await b.callTool({ name: 'ack_messages', arguments: { ids: [sealed.id] } }),
  );
  assert.deepEqual(acked, { acked: [sealed.id], unknown: [] });
  assert.deepEqual(structured<Inbox>(await b.callTool({ name: 'fetch_inbox', arguments: {} })).messages, []);
  assert.deepEqual(storedRows(h), { envelopes: 0, deliveries: 0, bodies: [] });
});

test("C can neither fetch, ack, read nor subscribe to B's mail", async (t) => {
  const h = await startRouter(t);
  const [A, B, C] = [agent(), agent(), agent()];
  const a = await h.connect(A.did);
  const c = await h.connect(C.did);
  const env = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: env } }));

  // fetch_inbox takes no DID: C only ever sees C's own inbox.
  assert.deepEqual(structured<Inbox>(await c.callTool({ name: 'fetch_inbox', arguments: {} })).messages, []);
  assert.deepEqual(
    structured<{ acked: string[]; unknown: string[] }>(
      await c.callTool({ name: 'ack_messages', arguments: { ids: [env.id] } }),
    ),
    { acked: [], unknown: [env.id] },
  );
  await assert.rejects(
    c.subscribeResource({ uri: inboxUri(B.did) }),
    (e: unknown) => e instanceof ProtocolError && (e.data as { code?: string }).code === 'inbox_forbidden',
  );
  await assert.rejects(
    c.readResource({ uri: inboxUri(B.did) }),
    (e: unknown) => e instanceof ProtocolError && (e.data as { code?: string }).code === 'inbox_forbidden',
  );
  // An operator (no DID) has no inbox to fetch.
  const operator = await h.connect('operator:root', ['read', 'write', 'admin']);
  const denied = await operator.callTool({ name: 'fetch_inbox', arguments: {} });
  assert.equal(denied.isError, true);

  const b = await h.connect(B.did);
  const inbox = structured<Inbox>(await b.callTool({ name: 'fetch_inbox', arguments: {} }));
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [env.id],
  );
  const snapshot = await b.readResource({ uri: inboxUri(B.did) });
  const first = snapshot.contents[0] as { text: string };
  assert.deepEqual(
    (JSON.parse(first.text) as Inbox).messages.map((m) => m.id),
    [env.id],
  );
});

test('mail sent while B is offline waits for B (even across a router restart); expired mail does not', async (t) => {
  const first = await startRouter(t);
  const [A, B] = [agent(), agent()];
  const a = await first.connect(A.did);
  const lasting = envelopeFrom(A, first.clock, { recipient: B.did, metadata: { ttl: 3600 } });
  const brief = envelopeFrom(A, first.clock, { recipient: B.did, metadata: { ttl: 5 } });
  const sent = structured<{ accepted: number }>(
    await a.callTool({ name: 'send_messages', arguments: { envelopes: [lasting, brief] } }),
  );
  assert.equal(sent.accepted, 2);
  await first.stop();

  first.clock.advance(10_000);
  const second = await startRouter(t, { dataDir: first.dataDir, clock: first.clock });
  const b = await second.connect(B.did);
  const inbox = structured<Inbox>(await b.callTool({ name: 'fetch_inbox', arguments: {} }));
  assert.deepEqual(
    inbox.messages.map((m) => m.id),
    [lasting.id],
  );
  assert.equal(verifyEnvelope(inbox.messages[0]!), true);
  // The restarted router has a fresh in-memory guard; the store's ledger still refuses the replay.
  const a2 = await second.connect(A.did);
  const replay = toolErrorOf(await a2.callTool({ name: 'send_message', arguments: { envelope: lasting } }));
  assert.equal(replay?.code, 'envelope_replayed');
});

test('spoofed sender, bad signature, replay, oversized and malformed envelopes are refused with their reason and nothing is stored', async (t) => {
  const h = await startRouter(t);
  const [A, B, C] = [agent(), agent(), agent()];
  const a = await h.connect(A.did);
  const good = envelopeFrom(A, h.clock, { recipient: B.did });
  structured(await a.callTool({ name: 'send_message', arguments: { envelope: good } }));
  const baseline = storedRows(h);

  const spoofed = envelopeFrom(C, h.clock, { recipient: B.did });
  const tampered = { ...envelopeFrom(A, h.clock, { recipient: B.did }), content: { text: 'changed' } };
  // createEnvelope refuses to make one this big, so sign it by hand: a validly signed 70 KB envelope.
  const { signature: _signature, ...unsigned } = envelopeFrom(A, h.clock, { recipient: B.did });
  const oversized = signEnvelope({ ...unsigned, content: { text: 'x'.repeat(70_000) } }, A.signing.secretKey);
  const { nonce: _nonce, ...noNonce } = envelopeFrom(A, h.clock, { recipient: B.did });
  const badNonce = { ...envelopeFrom(A, h.clock, { recipient: B.did }), nonce: 'short' };
  const extraField = { ...envelopeFrom(A, h.clock, { recipient: B.did }), admin: true };
  const { signature: _sig2, ...fresh } = envelopeFrom(A, h.clock, { recipient: B.did });
  const sameNonce = signEnvelope({ ...fresh, nonce: good.nonce }, A.signing.secretKey);
  const cases: [string, unknown, string, string][] = [
    ['spoofed sender', spoofed, 'sender_mismatch', 'sender'],
    ['bad signature', tampered, 'signature_invalid', 'signature'],
    ['replayed id', good, 'envelope_replayed', 'id'],
    ['oversized', oversized, 'envelope_too_large', ''],
    ['missing nonce', noNonce, 'envelope_invalid', 'nonce'],
    ['malformed nonce', badNonce, 'envelope_invalid', 'nonce'],
    ['unknown field', extraField, 'envelope_invalid', 'admin'],
  ];
  const batch = structured<{
    accepted: number;
    rejected: number;
    results: { status: string; code?: string; field?: string }[];
  }>(await a.callTool({ name: 'send_messages', arguments: { envelopes: cases.map((c) => c[1]) } }));
  assert.equal(batch.accepted, 0);
  cases.forEach(([name, , code, field], i) => {
    const result = batch.results[i];
    assert.equal(result?.status, 'rejected', name);
    assert.equal(result?.code, code, name);
    assert.equal(result?.field, field ? `envelopes.${i}.${field}` : `envelopes.${i}`, name);
  });

  // The single-envelope tool refuses the same way, with the code (and field) in the error.
  for (const [name, envelope, code, field] of cases) {
    const result = await a.callTool({ name: 'send_message', arguments: { envelope } });
    const error = toolErrorOf(result);
    assert.ok(error, name);
    assert.equal(error.code, code, name);
    assert.equal(error.field, field ? `envelope.${field}` : 'envelope', name);
  }
  // A reused nonce with a fresh id is a replay too (the id passes, the nonce does not).
  const nonceResult = toolErrorOf(
    await a.callTool({ name: 'send_message', arguments: { envelope: sameNonce } }),
  );
  assert.equal(nonceResult?.code, 'envelope_replayed');
  assert.deepEqual(storedRows(h), baseline);
});
