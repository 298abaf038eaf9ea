import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agent, call, callError, callFailure, memoryHarness } from '../testing.ts';

interface Group {
  name: string;
  owner: string;
  members: string[];
}

test('groups: the owner manages members, members may leave, memberships gate group memory', async (t) => {
  const h = memoryHarness(t);
  const [alice, bob, carol] = [agent().did, agent().did, agent().did];
  const a = await h.connect(alice);
  const b = await h.connect(bob);
  const created = await call<{ group: Group }>(a, 'create_group', { name: 'research' });
  assert.deepEqual(created.group, { name: 'research', owner: alice, members: [alice] });
  assert.equal(await callError(b, 'create_group', { name: 'research' }), 'group_exists');
  assert.equal(await callError(b, 'add_group_member', { group: 'research', member: bob }), 'not_group_owner');
  assert.equal(await callError(a, 'add_group_member', { group: 'nope', member: bob }), 'group_not_found');
  const added = await call<{ group: Group; changed: boolean }>(a, 'add_group_member', {
    group: 'research',
    member: bob,
  });
  assert.equal(added.changed, true);
  assert.deepEqual(added.group.members, [alice, bob]);
  assert.equal(
    (await call<{ changed: boolean }>(a, 'add_group_member', { group: 'research', member: bob })).changed,
    false,
  );
  await call(a, 'add_group_member', { group: 'research', member: carol });
  assert.deepEqual(
    (await call<{ groups: Group[] }>(b, 'list_groups')).groups.map((g) => g.name),
    ['research'],
  );

  await call(b, 'remember', { text: 'shared finding', scope: { kind: 'group', group: 'research' } });
  assert.equal((await call<{ items: unknown[] }>(a, 'recall', { query: 'finding' })).items.length, 1);
  // Bob leaves: he can no longer read or write the group's memory.
  await call(b, 'remove_group_member', { group: 'research', member: bob });
  assert.deepEqual((await call<{ groups: Group[] }>(b, 'list_groups')).groups, []);
  assert.equal(
    await callError(b, 'remember', { text: 'x', scope: { kind: 'group', group: 'research' } }),
    'not_group_member',
  );
  assert.equal(
    await callError(b, 'remove_group_member', { group: 'research', member: carol }),
    'not_group_owner',
  );
  const ownerLeaving = await callFailure(a, 'remove_group_member', { group: 'research', member: alice });
  assert.deepEqual([ownerLeaving.code, ownerLeaving.field], ['invalid_input', 'member']);
});
