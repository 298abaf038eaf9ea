import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AdmittedEnvelope, Priority, RouterStore } from './store.ts';

/** A store factory for one test; the suite closes the store, the factory registers its own cleanup. */
export type MakeRouterStore = (t: TestContext) => Promise<RouterStore | null>;

const A = 'did:key:z6MkA';
const B = 'did:key:z6MkB';
const C = 'did:key:z6MkC';
const NOW = 1_800_000_000_000;

let counter = 0;
function envelope(
  sender: string,
  to: string,
  options: { priority?: Priority; expires?: number; nonce?: string; id?: string } = {},
): AdmittedEnvelope {
  counter += 1;
  const id = options.id ?? `id-${counter}`;
  const recipient = to;
  return {
    id,
    sender,
    recipient,
    nonce: options.nonce ?? `nonce-${counter}`,
    priority: options.priority ?? 'normal',
    expires: options.expires ?? NOW + 60_000,
    replayUntil: (options.expires ?? NOW + 60_000) + 300_000,
    body: JSON.stringify({ id, sender, recipient, n: counter }),
    route: to.startsWith('topic:') ? { kind: 'topic', topic: to.slice(6) } : { kind: 'direct', owner: to },
  };
}

const RETENTION = { maxEvents: 1000, maxAgeMs: 86_400_000 };

/** The behaviour every RouterStore implementation must have. */
export function runRouterStoreContract(name: string, make: MakeRouterStore): void {
  async function open(t: TestContext): Promise<RouterStore | null> {
    const store = await make(t);
    if (store) t.after(() => store.close());
    return store;
  }

  test(`${name}: a direct envelope lands in the recipient's inbox only`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const env = envelope(A, B);
    const [result] = await store.admit([env], NOW);
    assert.deepEqual(result, { status: 'accepted', id: env.id, owners: [B] });
    const inbox = await store.fetchInbox(B, null, 10, NOW);
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0]?.id, env.id);
    assert.equal(inbox[0]?.sender, A);
    assert.equal(inbox[0]?.recipient, B);
    assert.equal(inbox[0]?.body, env.body);
    assert.equal(inbox[0]?.receivedAt, NOW);
    assert.deepEqual(await store.fetchInbox(C, null, 10, NOW), []);
    assert.deepEqual(await store.fetchInbox(A, null, 10, NOW), []);
  });

  test(`${name}: a duplicate id or a reused (sender, nonce) is refused and stores nothing`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const first = envelope(A, B, { nonce: 'n1' });
    const sameId = { ...envelope(A, C), id: first.id };
    const sameNonce = envelope(A, C, { nonce: 'n1' });
    const otherSenderSameNonce = envelope(C, B, { nonce: 'n1' });
    const results = await store.admit([first, sameId, sameNonce, otherSenderSameNonce], NOW);
    assert.deepEqual(
      results.map((r) => r.status),
      ['accepted', 'duplicate_id', 'replayed_nonce', 'accepted'],
    );
    assert.deepEqual(await store.fetchInbox(C, null, 10, NOW), []);
    assert.equal((await store.fetchInbox(B, null, 10, NOW)).length, 2);
    // Still refused after the first copy was acked: the ledger outlives the inbox row.
    await store.ack(B, [first.id]);
    const [again] = await store.admit([first], NOW);
    assert.equal(again?.status, 'duplicate_id');
    assert.equal((await store.fetchInbox(B, null, 10, NOW)).length, 1);
  });

  test(`${name}: inbox order is priority first, then arrival (kept per sender)`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const a1 = envelope(A, B);
    const c1 = envelope(C, B, { priority: 'low' });
    const a2 = envelope(A, B, { priority: 'urgent' });
    const c2 = envelope(C, B);
    const a3 = envelope(A, B, { priority: 'high' });
    const a4 = envelope(A, B);
    await store.admit([a1, c1], NOW);
    await store.admit([a2, c2, a3, a4], NOW);
    const ids = (await store.fetchInbox(B, null, 10, NOW)).map((e) => e.id);
    assert.deepEqual(ids, [a2.id, a3.id, a1.id, c2.id, a4.id, c1.id]);
  });

  test(`${name}: a cursor pages through the inbox without gaps or repeats`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const envs = Array.from({ length: 7 }, (_, i) =>
      envelope(A, B, { priority: i % 3 === 0 ? 'high' : 'normal' }),
    );
    await store.admit(envs, NOW);
    const seen: string[] = [];
    let cursor = null;
    for (;;) {
      const page = await store.fetchInbox(B, cursor, 3, NOW);
      if (!page.length) break;
      seen.push(...page.map((e) => e.id));
      const last = page[page.length - 1]!;
      cursor = { rank: last.rank, seq: last.seq };
    }
    const expected = [...envs.filter((_, i) => i % 3 === 0), ...envs.filter((_, i) => i % 3 !== 0)];
    assert.deepEqual(
      seen,
      expected.map((e) => e.id),
    );
  });

  test(`${name}: expired envelopes are not fetched and are swept`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const short = envelope(A, B, { expires: NOW + 1000 });
    const long = envelope(A, B, { expires: NOW + 100_000 });
    await store.admit([short, long], NOW);
    assert.equal((await store.fetchInbox(B, null, 10, NOW + 999)).length, 2);
    assert.deepEqual(
      (await store.fetchInbox(B, null, 10, NOW + 1000)).map((e) => e.id),
      [long.id],
    );
    const swept = await store.sweep(NOW + 1000, RETENTION);
    assert.equal(swept.expired, 1);
    assert.deepEqual(
      (await store.fetchInbox(B, null, 10, NOW)).map((e) => e.id),
      [long.id],
    );
    // The replay ledger keeps the id until its own deadline, then lets it go.
    assert.equal((await store.admit([short], NOW))[0]?.status, 'duplicate_id');
    const later = await store.sweep(short.replayUntil, RETENTION);
    assert.ok(later.ledger >= 1);
    assert.equal((await store.admit([short], NOW))[0]?.status, 'accepted');
  });

  test(`${name}: only the owner's ack removes a delivery`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const e1 = envelope(A, B);
    const e2 = envelope(A, B);
    await store.admit([e1, e2], NOW);
    assert.deepEqual(await store.ack(C, [e1.id, e2.id]), []);
    assert.equal((await store.fetchInbox(B, null, 10, NOW)).length, 2);
    assert.deepEqual(await store.ack(B, [e1.id, e1.id, 'unknown']), [e1.id]);
    assert.deepEqual(
      (await store.fetchInbox(B, null, 10, NOW)).map((e) => e.id),
      [e2.id],
    );
    assert.deepEqual(await store.ack(B, [e1.id]), []);
  });

  test(`${name}: inbox depths count what waits, fullest first, expired mail left out`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.deepEqual(await store.inboxDepths(NOW, 10), []);
    await store.admit(
      [envelope(A, B), envelope(A, B), envelope(A, C), envelope(A, C, { expires: NOW + 10 })],
      NOW,
    );
    assert.deepEqual(await store.inboxDepths(NOW, 10), [
      { owner: B, waiting: 2 },
      { owner: C, waiting: 2 },
    ]);
    assert.deepEqual(await store.inboxDepths(NOW + 10, 1), [{ owner: B, waiting: 2 }]);
  });

  test(`${name}: topics fan out to subscribers (not the sender) at publish time`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.subscribeTopic('news', B, NOW), true);
    assert.equal(await store.subscribeTopic('news', B, NOW), false);
    assert.equal(await store.subscribeTopic('news', A, NOW), true);
    const before = envelope(A, 'topic:news');
    const [r1] = await store.admit([before], NOW);
    assert.deepEqual(r1, { status: 'accepted', id: before.id, owners: [B] });
    await store.subscribeTopic('news', C, NOW);
    const after = envelope(A, 'topic:news');
    const [r2] = await store.admit([after], NOW);
    assert.deepEqual(r2?.status === 'accepted' && [...r2.owners].sort(), [B, C].sort());
    assert.deepEqual(
      (await store.fetchInbox(B, null, 10, NOW)).map((e) => [e.id, e.recipient]),
      [
        [before.id, 'topic:news'],
        [after.id, 'topic:news'],
      ],
    );
    // A late subscriber sees only what was published after it joined.
    assert.deepEqual(
      (await store.fetchInbox(C, null, 10, NOW)).map((e) => e.id),
      [after.id],
    );
    // Each subscriber acks its own copy; the other copy stays.
    assert.deepEqual(await store.ack(B, [after.id]), [after.id]);
    assert.deepEqual(
      (await store.fetchInbox(C, null, 10, NOW)).map((e) => e.id),
      [after.id],
    );
    assert.deepEqual(await store.topicsOf(B), ['news']);
    assert.equal(await store.unsubscribeTopic('news', B), true);
    assert.equal(await store.unsubscribeTopic('news', B), false);
    assert.deepEqual(await store.topicsOf(B), []);
    const nobody = envelope(B, 'topic:empty');
    assert.deepEqual((await store.admit([nobody], NOW))[0], {
      status: 'accepted',
      id: nobody.id,
      owners: [],
    });
  });

  test(`${name}: events are appended, read by cursor and type, and bounded`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.lastEventSeq(), 0);
    const types = ['agent.online', 'task.state', 'agent.offline', 'task.state', 'tool.published'];
    const stored = [];
    for (const [i, type] of types.entries()) {
      stored.push(
        await store.appendEvent({
          id: `ev-${i}`,
          type,
          subject: `s${i}`,
          data: { i, nested: { ok: true } },
          source: 'service:registry',
          at: NOW + i,
        }),
      );
    }
    const seqs = stored.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
    assert.equal(await store.lastEventSeq(), seqs[seqs.length - 1]);
    const all = await store.fetchEvents(0, 100);
    assert.deepEqual(
      all.map((e) => e.type),
      types,
    );
    assert.deepEqual(all[0]?.data, { i: 0, nested: { ok: true } });
    const page = await store.fetchEvents(seqs[1]!, 2);
    assert.deepEqual(
      page.map((e) => e.id),
      ['ev-2', 'ev-3'],
    );
    const tasks = await store.fetchEvents(0, 100, ['task.state', 'tool.published']);
    assert.deepEqual(
      tasks.map((e) => e.id),
      ['ev-1', 'ev-3', 'ev-4'],
    );
    const swept = await store.sweep(NOW + 2, { maxEvents: 2, maxAgeMs: 86_400_000 });
    assert.equal(swept.events, 3);
    assert.deepEqual(
      (await store.fetchEvents(0, 100)).map((e) => e.id),
      ['ev-3', 'ev-4'],
    );
    const aged = await store.sweep(NOW + 4 + 10, { maxEvents: 100, maxAgeMs: 10 });
    assert.equal(aged.events, 1);
    assert.deepEqual(
      (await store.fetchEvents(0, 100)).map((e) => e.id),
      ['ev-4'],
    );
  });
}
