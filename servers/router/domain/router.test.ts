import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../../lib/log.ts';
import { agent, envelopeFrom, tempDir, testClock } from '../testing.ts';
import { InProcessNotifier, inboxChannel } from './notifier.ts';
import { Router } from './router.ts';
import { didKeyResolver, type KeyResolver } from './sender-keys.ts';
import { generateIdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import { openSqliteRouterStore } from './store-sqlite.ts';

function setup(t: TestContext, keys: KeyResolver = didKeyResolver) {
  const path = join(tempDir(t), 'router.db');
  const store = openSqliteRouterStore(path);
  t.after(() => store.close());
  const clock = testClock();
  const notifier = new InProcessNotifier();
  const router = new Router({
    store,
    notifier,
    keys,
    now: clock.now,
    limits: { maxEnvelopeBytes: 65_536, maxClockSkewMs: 60_000, maxAgeMs: 300_000 },
    retention: { maxEvents: 3, maxAgeMs: 3_600_000 },
    log: silentLogger,
  });
  return { path, store, clock, notifier, router };
}

test('sweep purges expired mail, spent replay-ledger rows and events beyond retention', async (t) => {
  const { path, clock, router } = setup(t);
  const [A, B] = [agent(), agent()];
  const brief = envelopeFrom(A, clock, { recipient: B.did, metadata: { ttl: 10 } });
  const lasting = envelopeFrom(A, clock, { recipient: B.did, metadata: { ttl: 3600 } });
  await router.send(A.did, [brief, lasting], 'agent');
  for (let i = 0; i < 5; i++)
    await router.publishEvent('service:test', { type: 'agent.online', subject: `s${i}`, data: {} });

  clock.advance(11_000);
  const swept = await router.sweep();
  assert.deepEqual(swept, { expired: 1, ledger: 0, events: 2 });
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  assert.equal(count('envelopes'), 1);
  assert.equal(count('deliveries'), 1);
  assert.equal(count('replay_ledger'), 2);
  assert.equal(count('events'), 3);

  // Past the replay window (timestamp + max age + skew) both ledger rows can go.
  clock.advance(300_000 + 60_000);
  assert.equal((await router.sweep()).ledger, 2);
  assert.equal(count('replay_ledger'), 0);
  assert.deepEqual(
    (await router.fetchInbox(B.did, undefined, 10)).messages.map((m) => m.id),
    [lasting.id],
  );
});

test('one batch notifies each reached inbox once', async (t) => {
  const { router, notifier, clock } = setup(t);
  const [A, B, C] = [agent(), agent(), agent()];
  const seen: string[] = [];
  await notifier.subscribe(inboxChannel(B.did), () => seen.push('B'));
  await notifier.subscribe(inboxChannel(C.did), () => seen.push('C'));
  const batch = [B, B, C, B].map((to) => envelopeFrom(A, clock, { recipient: to.did }));
  const outcomes = await router.send(A.did, batch, 'any');
  assert.ok(outcomes.every((o) => o.status === 'accepted'));
  assert.deepEqual(seen.sort(), ['B', 'C']);
});

test('a signature the cached key refuses is checked once more against a fresh answer (the sender rotated)', async (t) => {
  const [A, B] = [agent(), agent()];
  const next = generateIdentityKeys().signing;
  const asked: boolean[] = [];
  // A cache that still holds the did:key's key; only a fresh answer knows the rotated one.
  const keys: KeyResolver = (_did, fresh = false) => {
    asked.push(fresh);
    return Promise.resolve({ keys: [fresh ? next.publicKey : A.signing.publicKey], revoked: false });
  };
  const { clock, router } = setup(t, keys);
  const { signature: _old, ...unsigned } = envelopeFrom(A, clock, { recipient: B.did });
  const [outcome] = await router.send(A.did, [signObject<Envelope>(unsigned, next.secretKey)], 'agent');
  assert.equal(outcome?.status, 'accepted');
  assert.deepEqual(asked, [false, true]);
  const [forged] = await router.send(
    A.did,
    [
      signObject<Envelope>(
        envelopeFrom(A, clock, { recipient: B.did }),
        generateIdentityKeys().signing.secretKey,
      ),
    ],
    'agent',
  );
  assert.equal(forged?.status === 'rejected' && forged.refusal.code, 'signature_invalid');
  assert.deepEqual(asked, [false, true, false, true], 'once, not more');
});

test('a receive waiting for mail ends with an empty page when its caller aborts or the router closes, and stops listening', async (t) => {
  const { notifier, router } = setup(t);
  const B = agent();
  const request = { ack: [], limit: 10, waitMs: 30_000 };
  const caller = new AbortController();
  const aborted = router.receive(B.did, request, caller.signal);
  const closed = router.receive(B.did, request);
  // Both wait on the inbox's channel until something ends them.
  while (notifier.listenerCount(inboxChannel(B.did)) < 2)
    await new Promise((resolve) => setImmediate(resolve));
  caller.abort();
  assert.deepEqual(await aborted, { messages: [], cursor: null, more: false, acked: 0 });
  router.close();
  assert.deepEqual(await closed, { messages: [], cursor: null, more: false, acked: 0 });
  assert.equal(notifier.listenerCount(inboxChannel(B.did)), 0);
  // A receive after the router closed does not wait.
  assert.deepEqual(await router.receive(B.did, request), {
    messages: [],
    cursor: null,
    more: false,
    acked: 0,
  });
});

test('a following receive hands on each page once, and its caller aborting ends it with the page after them', async (t) => {
  const { clock, notifier, router } = setup(t);
  const [A, B] = [agent(), agent()];
  const pages: string[][] = [];
  let handed = Promise.withResolvers<void>();
  const follow = {
    ms: 30_000,
    quietMs: 30_000,
    page: (page: { messages: Envelope[] }) => {
      pages.push(page.messages.map((m) => m.id));
      handed.resolve();
      return Promise.resolve();
    },
  };
  const caller = new AbortController();
  const following = router.receive(B.did, { ack: [], limit: 10, waitMs: 0, follow }, caller.signal);
  for (const round of [1, 2]) {
    const env = envelopeFrom(A, clock, { recipient: B.did });
    await router.send(A.did, [env], 'agent');
    await handed.promise;
    handed = Promise.withResolvers<void>();
    assert.deepEqual(pages.at(-1), [env.id], `page ${round}`);
  }
  caller.abort();
  const last = await following;
  assert.deepEqual([last.messages, last.more, last.acked], [[], false, 0]);
  assert.equal(pages.length, 2);
  assert.equal(notifier.listenerCount(inboxChannel(B.did)), 0);
  // Its cursor is past both pages; from the head, both come again until acked.
  assert.deepEqual(
    (await router.receive(B.did, { ack: [], limit: 10, waitMs: 0, cursor: last.cursor! })).messages,
    [],
  );
  const again = await router.receive(B.did, { ack: [], limit: 10, waitMs: 0 });
  assert.deepEqual(
    again.messages.map((m) => m.id),
    pages.flat(),
  );
});

test('a following receive that handed a page on ends once no more mail comes, so its acks can go out', async (t) => {
  const { clock, notifier, router } = setup(t);
  const [A, B] = [agent(), agent()];
  const env = envelopeFrom(A, clock, { recipient: B.did });
  await router.send(A.did, [env], 'agent');
  const pages: string[][] = [];
  const follow = {
    ms: 30_000,
    quietMs: 1,
    page: (page: { messages: Envelope[] }) => {
      pages.push(page.messages.map((m) => m.id));
      return Promise.resolve();
    },
  };
  // Nothing aborts it and its 30 s are far off: only going quiet ends it.
  const last = await router.receive(B.did, { ack: [], limit: 10, waitMs: 0, follow });
  assert.deepEqual(pages, [[env.id]]);
  assert.deepEqual([last.messages, last.more, last.acked], [[], false, 0]);
  assert.equal(notifier.listenerCount(inboxChannel(B.did)), 0);
  const next = await router.receive(B.did, { ack: [env.id], limit: 10, waitMs: 0 });
  assert.deepEqual([next.messages, next.acked], [[], 1]);
});

test('a following receive whose page cannot go out because its caller went away ends with that page unacked', async (t) => {
  const { clock, router } = setup(t);
  const [A, B] = [agent(), agent()];
  const env = envelopeFrom(A, clock, { recipient: B.did });
  await router.send(A.did, [env], 'agent');
  const caller = new AbortController();
  const follow = {
    ms: 30_000,
    quietMs: 30_000,
    page: () => {
      caller.abort();
      return Promise.reject(new Error('the stream is closed'));
    },
  };
  const last = await router.receive(B.did, { ack: [], limit: 10, waitMs: 0, follow }, caller.signal);
  assert.deepEqual(
    last.messages.map((m) => m.id),
    [env.id],
  );
  const again = await router.receive(B.did, { ack: [], limit: 10, waitMs: 0 });
  assert.deepEqual(
    again.messages.map((m) => m.id),
    [env.id],
  );
});
