// The typed registry client (lib/clients/registry.ts) against the real registry (with the real router) in
// this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../lib/clients/errors.ts';
import { registryClient } from '../../lib/clients/registry.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { signedCard, startRegistry } from './testing.ts';

test('every registry tool other parts call answers through the typed client, parsed', async (t) => {
  const h = await startRegistry(t);
  const [requesterKeys, workerKeys] = [generateIdentityKeys(), generateIdentityKeys()];
  const requester = registryClient(await h.connect(requesterKeys.did));
  const worker = registryClient(await h.connect(workerKeys.did));

  const info = await worker.getRegistryInfo({});
  assert.equal(info.did, h.registry.serviceDid);
  const registered = await worker.registerAgent({
    card: signedCard(workerKeys, { name: 'Worker', capabilities: ['summarize'] }, h.clock.now()),
  });
  assert.deepEqual([registered.created, registered.agent.name], [true, 'Worker']);
  await requester.registerAgent({ card: signedCard(requesterKeys, {}, h.clock.now()) });
  const beat = await worker.heartbeat({ load: 0.5 });
  assert.deepEqual([beat.agent.status, beat.agent.load], ['online', 0.5]);
  const found = await requester.findAgents({ capability: 'summarize' });
  assert.deepEqual(
    found.agents.map((a) => a.did),
    [workerKeys.did],
  );

  const { task } = await requester.dispatchTask({ capability: 'summarize', input: { text: 'long' } });
  assert.deepEqual([task.assignee, task.state], [workerKeys.did, 'submitted']);
  const done = await worker.updateTask({ id: task.id, state: 'completed', result: { summary: 'short' } });
  assert.equal(done.task.state, 'completed');
  const seen = await requester.getTask({ id: task.id });
  assert.deepEqual([seen.task.state, seen.task.result], ['completed', { summary: 'short' }]);
});

test('the registry’s refusals arrive with their code, kind and field', async (t) => {
  const h = await startRegistry(t);
  const keys = generateIdentityKeys();
  const agent = registryClient(await h.connect(keys.did));
  await agent.registerAgent({ card: signedCard(keys, { capabilities: ['summarize'] }, h.clock.now()) });

  const nobody = await agent.dispatchTask({ capability: 'paint', input: {} }).catch((e: unknown) => e);
  assert.ok(nobody instanceof ToolError, String(nobody));
  assert.equal(nobody.code, 'no_agent_available');

  const missing = await agent
    .getTask({ id: '0190f5c4-6d1a-7cc0-8a1b-1234567890ab' })
    .catch((e: unknown) => e);
  assert.ok(missing instanceof ToolError);
  assert.deepEqual([missing.kind, missing.code, missing.tool], ['not_found', 'task_not_found', 'get_task']);

  const stranger = await registryClient(await h.connect(generateIdentityKeys().did, ['read']))
    .heartbeat({})
    .catch((e: unknown) => e);
  assert.ok(stranger instanceof ToolError);
  assert.deepEqual([stranger.kind, stranger.code], ['forbidden', 'insufficient_scope']);
});
