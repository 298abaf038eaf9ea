import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyEnvelope } from '../../../lib/crypto/envelope.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { Task } from '../../../schemas/task.ts';
import { call, callError, registeredAgent, startRegistry } from '../testing.ts';

type TaskOut = { task: Task; registry_did: string };

describe('cancel_task', () => {
  it('only the requester cancels; the assignee is told with a signed task/cancel', async (t) => {
    const h = await startRegistry(t);
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const stranger = await registeredAgent(h);
    const { task, registry_did } = await call<TaskOut>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
    });
    assert.equal(await callError(worker.client, 'cancel_task', { id: task.id }), 'not_requester');
    assert.equal(await callError(stranger.client, 'cancel_task', { id: task.id }), 'task_not_found');

    const canceled = await call<TaskOut>(requester.client, 'cancel_task', {
      id: task.id,
      reason: 'not needed',
    });
    assert.equal(canceled.task.state, 'canceled');
    assert.equal(canceled.task.history.at(-1)?.note, 'not needed');
    assert.equal(await callError(requester.client, 'cancel_task', { id: task.id }), 'task_finished');
    assert.equal(
      await callError(worker.client, 'update_task', { id: task.id, state: 'completed' }),
      'invalid_transition',
    );

    const inbox = await h.router(worker.did);
    const { messages } = await call<{ messages: Envelope[] }>(inbox, 'fetch_inbox', {});
    assert.deepEqual(
      messages.map((m) => m.type),
      ['task/cancel', 'task/assign'],
      'the cancel is sent with high priority, ahead of the assignment',
    );
    const cancel = messages[0]!;
    assert.equal(cancel.sender, registry_did);
    assert.equal(verifyEnvelope(cancel), true);
  });
});
