import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signObject } from '../../lib/crypto/signed-object.ts';
import type { MemoryRecord } from '../../schemas/memory/record.ts';
import { openSqliteMemory, type Memory } from './domain/memory.ts';
import { contentId } from './domain/records.ts';
import { syncWithPeer } from './domain/sync-peer.ts';
import { mcpSyncPeer } from './sync-client.ts';
import { agent, call, callError, memoryHarness, tempDir } from './testing.ts';

const PUBLIC = { kind: 'public' } as const;
const PRIVATE = { kind: 'private' } as const;
const TEAM = { kind: 'group', group: 'team' } as const;

async function visibleIds(memory: Memory, viewer: string): Promise<string[]> {
  const page = await memory.store.changes(viewer, null, 10_000);
  return page.items.map((r) => r.id).sort();
}

async function currentIds(memory: Memory, viewer: string): Promise<string[]> {
  const kinds = ['entity', 'observation', 'relation', 'note'] as const;
  return (await memory.store.records({ kinds, viewer, at: Date.now() })).map((r) => r.id).sort();
}

test('two agent stores and the federation converge; private records stay private', async (t) => {
  const federation = memoryHarness(t);
  const dir = tempDir(t);
  const alice = agent();
  const bob = agent();
  const aliceMemory = openSqliteMemory({ path: join(dir, 'alice.db'), signer: alice });
  const bobMemory = openSqliteMemory({ path: join(dir, 'bob.db'), signer: bob });
  t.after(() => aliceMemory.close());
  t.after(() => bobMemory.close());
  const aliceHub = await federation.connect(alice.did);
  const bobHub = await federation.connect(bob.did);
  const alicePeer = mcpSyncPeer(aliceHub);
  const bobPeer = mcpSyncPeer(bobHub);

  await call(aliceHub, 'create_group', { name: 'team' });
  await call(aliceHub, 'add_group_member', { group: 'team', member: bob.did });
  // A fact written straight to the federation (unsigned, authored by the authenticated caller).
  await call(bobHub, 'create_entities', {
    entities: [{ name: 'Hub', entityType: 'service', observations: ['up'] }],
    scope: PUBLIC,
  });
  await syncWithPeer(aliceMemory, 'hub', alicePeer);
  await syncWithPeer(bobMemory, 'hub', bobPeer);

  await aliceMemory.graph.createEntities(
    alice.did,
    [{ name: 'Plexus', entityType: 'project', observations: ['uses MCP', 'v0'] }],
    PUBLIC,
  );
  await aliceMemory.graph.deleteObservations(alice.did, [{ entityName: 'Plexus', observations: ['v0'] }]);
  await aliceMemory.notes.remember(alice.did, {
    text: 'alice secret: the launch date is friday',
    scope: PRIVATE,
  });
  await aliceMemory.notes.remember(alice.did, { text: 'team plan: ship sync first', scope: TEAM });
  await aliceMemory.episodes.record(alice.did, {
    thread: 'standup',
    role: 'user',
    content: 'did sync',
    scope: TEAM,
  });
  await bobMemory.graph.createEntities(
    bob.did,
    [{ name: 'Bob private', entityType: 'x', observations: ['hidden'] }],
    PRIVATE,
  );
  await bobMemory.notes.remember(bob.did, {
    text: 'public tip: recall fuses bm25 and vectors',
    scope: PUBLIC,
  });
  await bobMemory.graph.addObservations(bob.did, [{ entityName: 'Hub', contents: ['fast'] }]);

  for (let round = 0; round < 2; round++) {
    await syncWithPeer(aliceMemory, 'hub', alicePeer);
    await syncWithPeer(bobMemory, 'hub', bobPeer);
  }

  const fed = federation.memory;
  for (const [memory, did] of [
    [aliceMemory, alice.did],
    [bobMemory, bob.did],
  ] as const) {
    assert.deepEqual(await visibleIds(memory, did), await visibleIds(fed, did), `records ${did}`);
    assert.deepEqual(await currentIds(memory, did), await currentIds(fed, did), `current ${did}`);
  }
  // Shared state is identical across all three; each private record lives only with its author and the hub.
  const sharedOf = async (m: Memory, did: string) =>
    (await m.store.changes(did, null, 10_000)).items
      .filter((r) => r.scope.kind !== 'private')
      .map((r) => r.id)
      .sort();
  assert.deepEqual(await sharedOf(aliceMemory, alice.did), await sharedOf(bobMemory, bob.did));
  const bobSees = (await bobMemory.store.changes(bob.did, null, 10_000)).items;
  assert.ok(!bobSees.some((r) => r.author === alice.did && r.scope.kind === 'private'));
  const bobStoreAll = bobMemory.store as unknown as {
    db: { prepare(s: string): { all(): { author: string; scope: string }[] } };
  };
  assert.ok(
    !bobStoreAll.db
      .prepare('SELECT author, scope FROM memory_records')
      .all()
      .some((r) => r.author === alice.did && r.scope === 'private'),
  );
  // Both see the deletion, the group note and bob's public tip; recall works on pulled notes.
  const graph = await bobMemory.graph.openNodes(bob.did, ['Plexus', 'Hub']);
  assert.deepEqual(
    graph.entities.map((e) => [e.name, e.observations]),
    [
      ['Hub', ['up', 'fast']],
      ['Plexus', ['uses MCP']],
    ],
  );
  assert.equal(
    (await bobMemory.notes.recall(bob.did, { query: 'team plan ship', k: 1 }))[0]?.text,
    'team plan: ship sync first',
  );
  assert.equal(
    (await aliceMemory.notes.recall(alice.did, { query: 'recall fuses', k: 1 }))[0]?.text,
    'public tip: recall fuses bm25 and vectors',
  );
  assert.equal(
    (await aliceMemory.notes.recall(alice.did, { query: 'launch date', k: 1 }))[0]?.scope.kind,
    'private',
  );

  // Another round moves nothing new; pushing again stores nothing twice.
  const again = await syncWithPeer(aliceMemory, 'hub', alicePeer);
  assert.equal(again.pulled, 0);
  const mine = (await aliceMemory.store.changes(alice.did, null, 1000)).items
    .filter((r) => r.author === alice.did)
    .map(({ seq: _s, endedAt: _e, ...r }) => r);
  const repeat = await alicePeer.push(mine);
  assert.deepEqual(repeat, { stored: 0, duplicates: mine.length, rejected: [] });

  // Order independence: replaying the federation's records backwards gives the same current state.
  const replay = openSqliteMemory({ path: join(dir, 'replay.db') });
  t.after(() => replay.close());
  await replay.store.createGroup('team', alice.did, 1);
  await replay.store.setMember('team', bob.did, true, 1);
  const all = (await fed.store.changes(alice.did, null, 10_000)).items.map(
    ({ seq: _s, endedAt: _e, ...r }) => r,
  );
  assert.deepEqual((await replay.sync.ingest([...all].reverse())).rejected, []);
  assert.deepEqual(await currentIds(replay, alice.did), await currentIds(fed, alice.did));
});

test('sync_push refuses tampered, unsigned and unauthorized records, one by one', async (t) => {
  const federation = memoryHarness(t);
  const alice = agent();
  const bob = agent();
  const local = openSqliteMemory({ path: join(tempDir(t), 'a.db'), signer: alice });
  t.after(() => local.close());
  await local.notes.remember(alice.did, { text: 'honest public note', scope: PUBLIC });
  await local.notes.remember(alice.did, { text: 'private note', scope: PRIVATE });
  const [pub, priv] = (await local.store.changes(alice.did, null, 10)).items.map(
    ({ seq: _s, endedAt: _e, ...r }) => r as MemoryRecord & { body: { text: string } },
  );
  assert.ok(pub && priv);

  const edited = { ...pub, body: { text: 'forged public note' } };
  const reIded = { ...edited, id: contentId(edited) };
  const { signature: _sig, ...unsigned } = pub;
  // Forged in alice's name, signed with bob's key.
  const resigned = signObject(reIded, bob.secretKey);
  const bobClaimsGroup = signObject(
    (() => {
      const draft = { ...pub, author: bob.did, scope: { kind: 'group', group: 'team' } };
      return { ...draft, id: contentId(draft) };
    })(),
    bob.secretKey,
  );
  const bobHub = await federation.connect(bob.did);
  await call(await federation.connect(alice.did), 'create_group', { name: 'team' });
  const result = await call<{ stored: number; rejected: { index: number; code: string }[] }>(
    bobHub,
    'sync_push',
    {
      records: [pub, edited, reIded, unsigned, resigned, priv, bobClaimsGroup],
    },
  );
  assert.deepEqual(
    result.rejected.map((r) => [r.index, r.code]),
    [
      [1, 'id_mismatch'],
      [2, 'signature_invalid'],
      [3, 'signature_missing'],
      [4, 'signature_invalid'],
      [5, 'forbidden'],
      [6, 'not_group_member'],
    ],
  );
  // The honest record was relayed by bob and stored once; nothing forged reached the store.
  assert.equal(result.stored, 1);
  const texts = (await federation.memory.store.changes(alice.did, null, 100)).items.map(
    (r) => (r.body as { text: string }).text,
  );
  assert.deepEqual(texts, ['honest public note']);
  assert.equal(
    await callError(bobHub, 'sync_push', { records: [{ ...pub, kind: 'nonsense' }] }),
    'invalid_params',
  );
  // Pull shows bob only what bob may see.
  const pulled = await call<{ records: MemoryRecord[]; groups: string[] }>(bobHub, 'sync_pull', {});
  assert.deepEqual(
    pulled.records.map((r) => r.id),
    [pub.id],
  );
  assert.deepEqual(pulled.groups, []);
});

test('a member added after pulling past a group’s records receives them on its next pull', async (t) => {
  const federation = memoryHarness(t);
  const alice = agent();
  const bob = agent();
  const bobMemory = openSqliteMemory({ path: join(tempDir(t), 'bob.db'), signer: bob });
  t.after(() => bobMemory.close());
  const aliceHub = await federation.connect(alice.did);
  const bobPeer = mcpSyncPeer(await federation.connect(bob.did));
  const remember = (text: string, scope: object) => call(aliceHub, 'remember', { text, scope });
  const batch = 2;

  await call(aliceHub, 'create_group', { name: 'team' });
  for (const n of [1, 2, 3, 4, 5]) await remember(`team note ${n}`, TEAM);
  await remember('public note 1', PUBLIC);
  // Bob pulls past the group's notes while he may not see them.
  assert.equal((await syncWithPeer(bobMemory, 'hub', bobPeer, { batch })).pulled, 1);
  const { pullCursor } = await bobMemory.store.getSyncState('hub');
  const had = await visibleIds(bobMemory, bob.did);

  await call(aliceHub, 'add_group_member', { group: 'team', member: bob.did });
  await remember('team note 6', TEAM);
  await remember('public note 2', PUBLIC);
  // Paging in small batches across the back-fill: every record once, none lost.
  const pulled: string[] = [];
  for (let cursor = pullCursor, more = true; more;) {
    const page = await bobPeer.pull(cursor, batch);
    pulled.push(...page.records.map((r) => r.id));
    ({ cursor, more } = page);
  }
  const fedIds = await visibleIds(federation.memory, bob.did);
  assert.deepEqual(
    [...pulled].sort(),
    fedIds.filter((id) => !had.includes(id)),
  );
  assert.equal(pulled.length, 7);
  assert.equal((await syncWithPeer(bobMemory, 'hub', bobPeer, { batch })).pulled, 7);
  assert.deepEqual(await visibleIds(bobMemory, bob.did), fedIds);
  assert.equal(
    (await bobMemory.notes.recall(bob.did, { query: 'team note 3', k: 1 }))[0]?.text,
    'team note 3',
  );

  // Removed, bob receives nothing more of the group; public records still flow.
  await call(aliceHub, 'remove_group_member', { group: 'team', member: bob.did });
  await remember('team note 7', TEAM);
  await remember('public note 3', PUBLIC);
  assert.equal((await syncWithPeer(bobMemory, 'hub', bobPeer, { batch })).pulled, 1);
  assert.deepEqual(await bobMemory.store.groupsOf(bob.did), []);
  assert.deepEqual(await visibleIds(bobMemory, bob.did), await visibleIds(federation.memory, bob.did));
});
