import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import type { Scope } from '../../../schemas/memory.ts';
import { seal, type Unsealed } from './records.ts';
import type { MemoryStore, NoteFilter } from './store.ts';
import { encodeCursor } from './store-common.ts';

const alice = generateIdentityKeys().did;
const bob = generateIdentityKeys().did;
const PRIVATE: Scope = { kind: 'private' };
const PUBLIC: Scope = { kind: 'public' };
const TEAM: Scope = { kind: 'group', group: 'team' };

function rec(
  author: string,
  scope: Scope,
  draft: Pick<Unsealed, 'kind' | 'body'> & Partial<Unsealed>,
): MemoryRecord {
  return seal({ author, scope, recordedAt: 1000, validFrom: 1000, validTo: null, ...draft });
}
const entity = (author: string, scope: Scope, name: string, extra: Partial<Unsealed> = {}): MemoryRecord =>
  rec(author, scope, { kind: 'entity', body: { name, entityType: 'thing' }, ...extra } as Unsealed);
const note = (author: string, scope: Scope, text: string, metadata?: Record<string, string>): MemoryRecord =>
  rec(author, scope, { kind: 'note', body: metadata ? { text, metadata } : { text } });
const end = (author: string, target: MemoryRecord, at: number): MemoryRecord =>
  rec(author, target.scope, {
    kind: 'invalidation',
    body: { target: target.id },
    validFrom: at,
    recordedAt: at,
  });

/** The behaviour every MemoryStore implementation must have. */
export function runMemoryStoreContract(
  name: string,
  makeStore: (t: TestContext) => Promise<MemoryStore | null>,
): void {
  async function open(t: TestContext): Promise<MemoryStore | null> {
    const store = await makeStore(t);
    if (store) {
      t.after(() => store.close());
      await store.createGroup('team', alice, 1);
    }
    return store;
  }

  test(`${name}: insert is idempotent by content id and returns only new records`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const a = entity(alice, PUBLIC, 'A');
    const first = await store.write((tx) => tx.insert([a, a]));
    const second = await store.write((tx) => tx.insert([a]));
    assert.equal(first.length, 1);
    assert.equal(second.length, 0);
    assert.deepEqual((await store.records({ kinds: ['entity'], viewer: bob }))[0]?.id, a.id);
  });

  test(`${name}: visibility: private to the author, group to members, public to all`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const records = [entity(alice, PRIVATE, 'p'), entity(alice, TEAM, 'g'), entity(alice, PUBLIC, 'u')];
    await store.write((tx) => tx.insert(records));
    const names = async (viewer: string) =>
      (await store.records({ kinds: ['entity'], viewer })).map((r) => (r.body as { name: string }).name);
    assert.deepEqual(await names(alice), ['p', 'g', 'u']);
    assert.deepEqual(await names(bob), ['u']);
    await store.setMember('team', bob, true, 2);
    assert.deepEqual(await names(bob), ['g', 'u']);
    assert.deepEqual(await store.groupsOf(bob), ['team']);
    assert.deepEqual((await store.changes(bob, null, 10)).items.length, 2);
  });

  test(`${name}: invalidation ends a record at its time, in either arrival order, only when authorized`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const a = entity(alice, PUBLIC, 'A');
    const b = entity(alice, PUBLIC, 'B');
    const forged = end(bob, b, 1500);
    await store.write((tx) => tx.insert([a, end(alice, a, 2000), forged]));
    const early = end(alice, b, 3000);
    await store.write((tx) => tx.insert([early]));
    await store.write((tx) => tx.insert([b]));
    const at = async (time: number) =>
      (await store.records({ kinds: ['entity'], viewer: bob, at: time })).map(
        (r) => (r.body as { name: string }).name,
      );
    assert.deepEqual(await at(1999), ['A', 'B']);
    assert.deepEqual(await at(2000), ['B']);
    assert.deepEqual(await at(3000), []);
    const [stored] = await store.records({ kinds: ['entity'], viewer: bob, ids: [b.id] });
    assert.equal(stored?.endedAt, 3000);
    assert.equal((await store.records({ kinds: ['invalidation'], viewer: bob, targets: [b.id] })).length, 2);
  });

  test(`${name}: validity bounds and names filter`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const old = entity(alice, PUBLIC, 'old', { validFrom: 100, validTo: 500 });
    const rel = rec(alice, PUBLIC, {
      kind: 'relation',
      body: { from: 'x', to: 'old', relationType: 'knows' },
    });
    await store.write((tx) => tx.insert([old, rel]));
    assert.equal((await store.records({ kinds: ['entity'], viewer: bob, at: 300 })).length, 1);
    assert.equal((await store.records({ kinds: ['entity'], viewer: bob, at: 500 })).length, 0);
    assert.equal((await store.records({ kinds: ['relation'], viewer: bob, names: ['old'] })).length, 1);
    assert.equal(
      (await store.records({ kinds: ['relation', 'entity'], viewer: bob, names: ['zzz'] })).length,
      0,
    );
  });

  test(`${name}: a failed write transaction leaves nothing behind`, async (t) => {
    const store = await open(t);
    if (!store) return;
    await assert.rejects(
      store.write(async (tx) => {
        await tx.insert([entity(alice, PUBLIC, 'doomed')]);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await store.records({ kinds: ['entity'], viewer: alice })).length, 0);
  });

  test(`${name}: episodes page by time in both directions and match text`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const episodes = [3, 1, 2, 5, 4].map((n) =>
      rec(alice, PRIVATE, {
        kind: 'episode',
        body: {
          thread: n % 2 ? 'odd' : 'even',
          role: 'user',
          content: `message number ${n}`,
          agent: alice,
          occurredAt: n * 10,
        },
      }),
    );
    await store.write((tx) => tx.insert(episodes));
    const times = async (q: Partial<Parameters<MemoryStore['episodes']>[0]>) => {
      const page = await store.episodes({ viewer: alice, order: 'asc', limit: 2, ...q });
      return { times: page.items.map((e) => (e.body as { occurredAt: number }).occurredAt), page };
    };
    const p1 = await times({});
    assert.deepEqual(p1.times, [10, 20]);
    assert.equal(p1.page.more, true);
    const p2 = await times({ cursor: p1.page.cursor ?? '' });
    assert.deepEqual(p2.times, [30, 40]);
    const p3 = await times({ cursor: p2.page.cursor ?? '' });
    assert.deepEqual(p3.times, [50]);
    assert.equal(p3.page.more, false);
    assert.deepEqual((await times({ order: 'desc', limit: 3 })).times, [50, 40, 30]);
    assert.deepEqual((await times({ thread: 'odd', limit: 10 })).times, [10, 30, 50]);
    assert.deepEqual((await times({ since: 20, until: 40, limit: 10 })).times, [20, 30]);
    assert.deepEqual((await times({ text: 'number 4', limit: 10 })).times, [10, 20, 30, 40, 50]);
    assert.deepEqual((await times({ text: '4', limit: 10 })).times, [40]);
    assert.deepEqual((await store.episodes({ viewer: bob, order: 'asc', limit: 10 })).items, []);
  });

  test(`${name}: changes pages in append order with a resumable cursor`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const records = ['a', 'b', 'c'].map((n) => entity(alice, PUBLIC, n));
    await store.write((tx) => tx.insert(records));
    const first = await store.changes(bob, null, 2);
    assert.deepEqual(
      first.items.map((r) => r.id),
      [records[0]?.id, records[1]?.id],
    );
    const second = await store.changes(bob, first.cursor, 2);
    assert.deepEqual(
      second.items.map((r) => r.id),
      [records[2]?.id],
    );
    assert.equal(second.more, false);
    const empty = await store.changes(bob, second.cursor, 2);
    assert.deepEqual(empty, { items: [], cursor: second.cursor, more: false });
  });

  test(`${name}: changes back-fill a group's older records at the point a viewer joins it`, async (t) => {
    const store = await open(t);
    if (!store) return;
    /** Pages through the viewer's changes after `cursor`, returning the names in stream order. */
    const drain = async (viewer: string, cursor: string | null, limit: number) => {
      const names: string[] = [];
      for (let more = true; more;) {
        const page = await store.changes(viewer, cursor, limit);
        names.push(...page.items.map((r) => (r.body as { name: string }).name));
        cursor = page.cursor;
        more = page.more;
      }
      return { names, cursor };
    };
    const insert = (...records: MemoryRecord[]) => store.write((tx) => tx.insert(records));
    const [, , , p1] = await insert(
      entity(alice, PUBLIC, 'p0'),
      entity(alice, TEAM, 'g1'),
      entity(alice, TEAM, 'g2'),
      entity(alice, PUBLIC, 'p1'),
    );
    // Bob pulls past the group's records before he may see them.
    const seen = await drain(bob, null, 10);
    assert.deepEqual(seen.names, ['p0', 'p1']);
    // The cursor format from before back-fill (a bare seq) still reads as the same position.
    assert.equal(seen.cursor, encodeCursor([p1?.seq ?? 0]));
    await store.setMember('team', bob, true, 2);
    await insert(entity(alice, TEAM, 'g3'), entity(alice, PUBLIC, 'p2'));
    for (const limit of [1, 2, 3, 100]) {
      assert.deepEqual(
        (await drain(bob, seen.cursor, limit)).names,
        ['g1', 'g2', 'g3', 'p2'],
        `limit ${limit}`,
      );
    }
    const joined = await drain(bob, seen.cursor, 1);
    assert.deepEqual((await drain(bob, null, 2)).names, ['p0', 'p1', 'g1', 'g2', 'g3', 'p2']);
    // The owner's stream is plain append order: it joined before any record.
    assert.deepEqual((await drain(alice, null, 2)).names, ['p0', 'g1', 'g2', 'p1', 'g3', 'p2']);

    // Bob writes to the group and is removed: nothing of the group reaches him any more.
    await insert(entity(bob, TEAM, 'b1'));
    const before = await drain(bob, joined.cursor, 2);
    assert.deepEqual(before.names, ['b1']);
    await store.setMember('team', bob, false, 3);
    await insert(entity(alice, TEAM, 'g4'), entity(alice, PUBLIC, 'p3'));
    const removed = await drain(bob, before.cursor, 2);
    assert.deepEqual(removed.names, ['p3']);
    // Re-added, he gets the group's records again, all but his own.
    await store.setMember('team', bob, true, 4);
    assert.deepEqual((await drain(bob, removed.cursor, 2)).names, ['g1', 'g2', 'g3', 'g4']);

    for (const bad of [
      [1, 2],
      [5, 2, 1],
      [5, 1, 6],
    ]) {
      await assert.rejects(store.changes(bob, encodeCursor(bad), 2), /not a cursor/);
    }
  });

  test(`${name}: BM25 and vector search over visible, current notes with metadata filters`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const embedder = new LexicalEmbedder({ dimension: 64 });
    const notes = [
      note(alice, PUBLIC, 'the deploy script lives in the ops repository', { topic: 'ops' }),
      note(alice, PUBLIC, 'lunch is at noon on fridays', { topic: 'food' }),
      note(alice, PRIVATE, 'my deploy password rotates monthly', { topic: 'ops' }),
    ];
    const space = await store.space(embedder.id, embedder.dimension);
    assert.deepEqual(await store.space(embedder.id, embedder.dimension), space);
    // Prepared (as a server does at startup) before any vector exists: later ones must still be found.
    await store.prepareVectors(space);
    const stored = await store.write((tx) => tx.insert(notes));
    assert.equal((await store.unembedded(space.id, 10)).length, 3);
    const vectors = await embedder.embed(stored.map((n) => (n.body as { text: string }).text));
    await store.putVectors(
      space.id,
      stored.map((n, i) => ({ seq: n.seq, vector: vectors[i] ?? new Float32Array(64) })),
    );
    assert.equal((await store.unembedded(space.id, 10)).length, 0);
    assert.deepEqual(
      (await store.spaces()).map((s) => [s.embedder, s.dimension, s.vectors]),
      [['lexical-v2', 64, 3]],
    );
    const filter: NoteFilter = { viewer: bob, at: 2000 };
    const text = await store.searchText('deploy', filter, 5);
    assert.deepEqual(
      text.map((r) => r.record.id),
      [notes[0]?.id],
    );
    const [q] = await embedder.embed(['deploy script']);
    const near = await store.searchVector(space.id, q ?? new Float32Array(64), filter, 5);
    assert.equal(near[0]?.record.id, notes[0]?.id);
    assert.ok(near.every((r) => r.record.author === alice && r.record.scope.kind === 'public'));
    const mine = await store.searchText(
      'deploy',
      { ...filter, viewer: alice, metadata: { topic: 'ops' } },
      5,
    );
    assert.equal(mine.length, 2);
    const food = await store.searchVector(
      space.id,
      q ?? new Float32Array(64),
      { ...filter, metadata: { topic: 'food' } },
      5,
    );
    assert.deepEqual(
      food.map((r) => r.record.id),
      [notes[1]?.id],
    );
    await store.write((tx) => tx.insert([end(alice, notes[0] as MemoryRecord, 1500)]));
    assert.deepEqual(await store.searchText('deploy', filter, 5), []);
    assert.equal((await store.searchText('deploy', { ...filter, at: 1200 }, 5)).length, 1);
  });

  test(`${name}: groups and sync state`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.createGroup('team', bob, 5), false);
    assert.equal(await store.groupOwner('team'), alice);
    assert.equal(await store.groupOwner('nope'), null);
    assert.equal(await store.setMember('team', bob, true, 5), true);
    assert.equal(await store.setMember('team', bob, true, 5), false);
    assert.deepEqual(await store.members('team'), [alice, bob]);
    assert.equal(await store.isMember('team', bob), true);
    assert.equal(await store.setMember('team', bob, false, 6), true);
    assert.equal(await store.isMember('team', bob), false);
    assert.deepEqual(await store.getSyncState('hub'), { pushCursor: null, pullCursor: null });
    await store.setSyncState('hub', { pushCursor: 'x', pullCursor: 'y' });
    assert.deepEqual(await store.getSyncState('hub'), { pushCursor: 'x', pullCursor: 'y' });
  });
}
