import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agent, call, callError, callFailure, memoryHarness } from '../testing.ts';

interface Graph {
  entities: {
    name: string;
    entityType: string;
    observations: string[];
    scope?: unknown;
    provenance?: { author: string; recordedAt: number };
    validity?: { validFrom: number; validTo: number | null };
    facts?: { content: string; validity: { validFrom: number; validTo: number | null } }[];
  }[];
  relations: {
    from: string;
    to: string;
    relationType: string;
    validity?: { validFrom: number; validTo: number | null };
  }[];
}

function clock(start: number) {
  let now = start;
  return { now: () => now, set: (t: number) => void (now = t) };
}

test('facts carry provenance and validity; deletes and replacements invalidate, as_of sees history', async (t) => {
  const time = clock(1_000);
  const h = memoryHarness(t, { now: time.now });
  const alice = agent().did;
  const client = await h.connect(alice);
  await call(client, 'create_entities', {
    entities: [{ name: 'Paris', entityType: 'city', observations: ['capital of France', 'population 2.1M'] }],
  });
  time.set(2_000);
  await call(client, 'add_observations', {
    observations: [{ entityName: 'Paris', contents: ['population 2.2M'], replaces: ['population 2.1M'] }],
  });
  time.set(3_000);
  await call(client, 'delete_observations', {
    deletions: [{ entityName: 'Paris', observations: ['capital of France'] }],
  });

  const now = await call<Graph>(client, 'read_graph', { detail: true });
  assert.deepEqual(now.entities[0]?.observations, ['population 2.2M']);
  assert.deepEqual(now.entities[0]?.provenance, { author: alice, recordedAt: 1_000 });
  assert.deepEqual(now.entities[0]?.scope, { kind: 'private' });
  assert.deepEqual(now.entities[0]?.facts?.[0]?.validity, { validFrom: 2_000, validTo: null });

  const before = await call<Graph>(client, 'read_graph', { as_of: 1_500, detail: true });
  assert.deepEqual(before.entities[0]?.observations, ['capital of France', 'population 2.1M']);
  assert.deepEqual(
    before.entities[0]?.facts?.map((f) => f.validity),
    [
      { validFrom: 1_000, validTo: 3_000 },
      { validFrom: 1_000, validTo: 2_000 },
    ],
  );
  const between = await call<Graph>(client, 'open_nodes', { names: ['Paris'], as_of: 2_500 });
  assert.deepEqual(between.entities[0]?.observations, ['capital of France', 'population 2.2M']);
  assert.deepEqual((await call<Graph>(client, 'read_graph', { as_of: 500 })).entities, []);

  time.set(4_000);
  await call(client, 'delete_entities', { entityNames: ['Paris'] });
  assert.deepEqual((await call<Graph>(client, 'read_graph')).entities, []);
  assert.deepEqual(
    (await call<Graph>(client, 'search_nodes', { query: 'paris', as_of: 3_500 })).entities.length,
    1,
  );
});

test('explicit validity: a fact that held only in the past is visible only as_of then', async (t) => {
  const time = clock(10_000);
  const client = await memoryHarness(t, { now: time.now }).connect(agent().did);
  await call(client, 'create_entities', {
    entities: [
      {
        name: 'Old CEO',
        entityType: 'person',
        observations: ['ran Acme'],
        valid_from: 1_000,
        valid_to: 5_000,
      },
    ],
  });
  await call(client, 'create_relations', {
    relations: [{ from: 'Old CEO', to: 'Acme', relationType: 'led', valid_from: 1_000, valid_to: 5_000 }],
  });
  assert.deepEqual(await call<Graph>(client, 'read_graph'), { entities: [], relations: [] });
  const past = await call<Graph>(client, 'read_graph', { as_of: 2_000 });
  assert.deepEqual(past.entities[0]?.observations, ['ran Acme']);
  assert.equal(past.relations.length, 1);
  const bad = await callFailure(client, 'create_entities', {
    entities: [{ name: 'X', entityType: 't', observations: [], valid_from: 5, valid_to: 5 }],
  });
  assert.deepEqual([bad.code, bad.field], ['invalid_input', 'entities.0.valid_to']);
  const badName = await callFailure(client, 'create_entities', {
    entities: [{ name: ' padded ', entityType: 't', observations: [] }],
  });
  assert.equal(badName.code, 'invalid_params');
  assert.match(badName.message, /entities.*0.*name/s);
});

test("delete_entities ends the relations to and from the names, in the scope asked, but not others' own", async (t) => {
  const time = clock(1_000);
  const h = memoryHarness(t, { now: time.now });
  const a = await h.connect(agent().did);
  const b = await h.connect(agent().did);
  const pub = { kind: 'public' };
  const arrows = (g: Graph) => g.relations.map((r) => `${r.from}>${r.to}`);
  await call(a, 'create_entities', {
    entities: [{ name: 'Acme', entityType: 'company', observations: ['big'] }],
  });
  await call(a, 'create_relations', {
    relations: [
      { from: 'Alice', to: 'Acme', relationType: 'works_at' },
      { from: 'Ghost', to: 'Alice', relationType: 'haunts' },
    ],
  });
  await call(a, 'create_relations', {
    relations: [{ from: 'Acme', to: 'Town', relationType: 'in' }],
    scope: pub,
  });
  await call(b, 'create_relations', {
    relations: [{ from: 'Bob', to: 'Acme', relationType: 'audits' }],
    scope: pub,
  });

  time.set(2_000);
  // Ghost has no entity: its relations go all the same. The scope keeps Alice's public relation.
  await call(a, 'delete_entities', { entityNames: ['Acme', 'Ghost'], scope: { kind: 'private' } });
  assert.deepEqual(arrows(await call<Graph>(a, 'read_graph')), ['Acme>Town', 'Bob>Acme']);
  time.set(3_000);
  // Without a scope every relation of hers to the name ends; Bob's stays his.
  await call(a, 'delete_entities', { entityNames: ['Acme'] });
  assert.deepEqual(arrows(await call<Graph>(a, 'read_graph')), ['Bob>Acme']);

  const past = await call<Graph>(a, 'read_graph', { as_of: 1_500, detail: true });
  assert.deepEqual(past.entities[0]?.facts?.[0]?.validity, { validFrom: 1_000, validTo: 2_000 });
  assert.deepEqual(
    past.relations.map((r) => [`${r.from}>${r.to}`, r.validity?.validTo]),
    [
      ['Alice>Acme', 2_000],
      ['Ghost>Alice', 2_000],
      ['Acme>Town', 3_000],
      ['Bob>Acme', null],
    ],
  );
});

test('scopes: private stays with its author, groups need membership, public is shared but owned', async (t) => {
  const h = memoryHarness(t);
  const alice = agent().did;
  const bob = agent().did;
  const a = await h.connect(alice);
  const b = await h.connect(bob);
  await call(a, 'create_entities', {
    entities: [{ name: 'Secret', entityType: 'note', observations: ['mine'] }],
  });
  await call(a, 'create_entities', {
    entities: [{ name: 'Shared', entityType: 'note', observations: ['for all'] }],
    scope: { kind: 'public' },
  });
  assert.deepEqual(
    (await call<Graph>(b, 'read_graph')).entities.map((e) => e.name),
    ['Shared'],
  );
  assert.equal(
    await callError(b, 'add_observations', { observations: [{ entityName: 'Secret', contents: ['x'] }] }),
    'entity_not_found',
  );
  // Anyone may add to a public entity; only its author may delete it.
  await call(b, 'add_observations', { observations: [{ entityName: 'Shared', contents: ['bob was here'] }] });
  assert.equal(await callError(b, 'delete_entities', { entityNames: ['Shared'] }), 'not_author');
  assert.equal(
    await callError(b, 'delete_observations', {
      deletions: [{ entityName: 'Shared', observations: ['for all'] }],
    }),
    'not_author',
  );
  // Bob's own private entity of the same name does not collide with Alice's.
  assert.equal(
    (
      await call<{ entities: unknown[] }>(b, 'create_entities', {
        entities: [{ name: 'Secret', entityType: 'n', observations: [] }],
      })
    ).entities.length,
    1,
  );

  const team = { kind: 'group', group: 'team' };
  assert.equal(
    await callError(a, 'create_entities', {
      entities: [{ name: 'Plan', entityType: 'doc', observations: [] }],
      scope: team,
    }),
    'not_group_member',
  );
  await call(a, 'create_group', { name: 'team' });
  await call(a, 'create_entities', {
    entities: [{ name: 'Plan', entityType: 'doc', observations: ['step 1'] }],
    scope: team,
  });
  assert.ok(!(await call<Graph>(b, 'read_graph')).entities.some((e) => e.name === 'Plan'));
  await call(a, 'add_group_member', { group: 'team', member: bob });
  assert.ok((await call<Graph>(b, 'read_graph', { scope: team })).entities.some((e) => e.name === 'Plan'));
  // Group members may edit group facts, including deleting them.
  await call(b, 'delete_observations', { deletions: [{ entityName: 'Plan', observations: ['step 1'] }] });
  assert.deepEqual((await call<Graph>(a, 'open_nodes', { names: ['Plan'] })).entities[0]?.observations, []);
  // Ambiguous names need a scope.
  await call(a, 'create_entities', { entities: [{ name: 'Plan', entityType: 'doc', observations: [] }] });
  assert.equal(
    await callError(a, 'add_observations', { observations: [{ entityName: 'Plan', contents: ['y'] }] }),
    'entity_ambiguous',
  );
  await call(a, 'add_observations', {
    observations: [{ entityName: 'Plan', contents: ['y'], scope: { kind: 'private' } }],
  });
});

test('reads need the read scope; writes need a caller with an identity, and say which sign-in gives one', async (t) => {
  const h = memoryHarness(t);
  const operator = await h.connect('operator:ops', ['read', 'write']);
  const err = await callFailure(operator, 'create_entities', {
    entities: [{ name: 'X', entityType: 't', observations: [] }],
  });
  assert.match(err.message, /needs a caller with an identity \(a DID\).*sign in to the hub with OAuth/);
  assert.deepEqual(await call(operator, 'read_graph'), { entities: [], relations: [] });
  const noScope = await h.connect(agent().did, []);
  assert.equal(await callError(noScope, 'read_graph', {}), 'insufficient_scope');
});
