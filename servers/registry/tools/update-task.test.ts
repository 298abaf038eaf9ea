import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openEnvelope } from '../../../lib/crypto/envelope.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { Task } from '../../../schemas/task.ts';
import { call, callError, callInvalid, registeredAgent, startRegistry } from '../testing.ts';

type TaskOut = { task: Task & { message: string | null } };

describe('update_task', () => {
  it('only the assignee moves the task, through allowed states, and completion is reported', async (t) => {
    const h = await startRegistry(t, { identity: true, settings: { trustCacheMs: 0 } });
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const stranger = await registeredAgent(h, { capabilities: ['summarize'] });
    await call(stranger.client, 'heartbeat', { load: 0.9 });
    const { task } = await call<TaskOut>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: { text: 'x' },
    });
    assert.equal(task.assignee, worker.did);
    const id = task.id;

    for (const who of [requester, stranger]) {
      assert.equal(
        await callError(who.client, 'update_task', { id, state: 'completed', result: 'fake' }),
        'not_assignee',
      );
    }
    await callInvalid(worker.client, 'update_task', { id, state: 'working', result: 'early' }, 'result');
    await callInvalid(
      worker.client,
      'update_task',
      { id, state: 'completed', error: { code: 'x', message: 'y' } },
      'error',
    );
    const working = await call<TaskOut>(worker.client, 'update_task', { id, state: 'working' });
    assert.equal(working.task.state, 'working');
    const asking = await call<TaskOut>(worker.client, 'update_task', {
      id,
      state: 'input-required',
      message: 'which language?',
    });
    assert.equal(asking.task.message, 'which language?');
    const done = await call<TaskOut>(worker.client, 'update_task', {
      id,
      state: 'completed',
      result: { summary: 'short' },
    });
    assert.equal(done.task.state, 'completed');

    const updates = await call<{ messages: Envelope[] }>(await h.router(requester.did), 'fetch_inbox', {});
    const statuses = updates.messages.map((m) => {
      assert.equal(m.type, 'task/status');
      return (openEnvelope(m, requester.keys.keyAgreement) as { task: Task }).task;
    });
    assert.deepEqual(
      statuses.map((x) => x.state),
      ['working', 'input-required', 'completed'],
      'the requester hears of every change in its inbox',
    );
    assert.deepEqual(statuses.at(-1)?.result, { summary: 'short' });
    const seen = await call<TaskOut>(requester.client, 'get_task', { id });
    assert.deepEqual(seen.task.result, { summary: 'short' });
    assert.deepEqual(
      seen.task.history.map((e) => [e.state, e.by]),
      [
        ['submitted', requester.did],
        ['working', worker.did],
        ['input-required', worker.did],
        ['completed', worker.did],
      ],
    );
    assert.equal(
      await callError(worker.client, 'update_task', { id, state: 'failed' }),
      'invalid_transition',
      'a finished task stays finished',
    );
    const trust = await call<{ outcomes: { task: { positive: number } } }>(
      await h.asHub('identity'),
      'get_trust',
      { did: worker.did },
    );
    assert.equal(trust.outcomes.task.positive, 1, 'the completion reached the trust model');
    const { events } = await call<{ events: { type: string; subject: string }[] }>(
      await h.asHub('router'),
      'fetch_events',
      { types: ['task.submitted', 'task.working', 'task.input-required', 'task.completed'] },
    );
    assert.deepEqual(
      events.filter((e) => e.subject === id).map((e) => e.type),
      ['task.submitted', 'task.working', 'task.input-required', 'task.completed'],
    );
  });

  it('a failure carries its error', async (t) => {
    const h = await startRegistry(t, { router: false });
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const { task } = await call<TaskOut>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
    });
    const failed = await call<TaskOut>(worker.client, 'update_task', {
      id: task.id,
      state: 'failed',
      error: { code: 'too_long', message: 'input too long' },
    });
    assert.equal(failed.task.state, 'failed');
    assert.deepEqual(failed.task.error, { code: 'too_long', message: 'input too long' });
  });

  it('a rejection moves the task to the next agent, and ends it when there is none', async (t) => {
    const h = await startRegistry(t);
    const requester = await registeredAgent(h);
    const first = await registeredAgent(h, { capabilities: ['summarize'] });
    const second = await registeredAgent(h, { capabilities: ['summarize'] });
    await call(second.client, 'heartbeat', { load: 0.5 });
    const { task } = await call<TaskOut>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
    });
    assert.equal(task.assignee, first.did);
    const moved = await call<TaskOut>(first.client, 'update_task', {
      id: task.id,
      state: 'rejected',
      message: 'busy',
    });
    assert.equal(moved.task.state, 'submitted');
    assert.equal(moved.task.assignee, second.did);
    assert.equal(moved.task.attempts, 2);
    const inbox = await h.router(second.did);
    const { messages } = await call<{ messages: Envelope[] }>(inbox, 'fetch_inbox', {});
    const assigned = messages.map((m) => openEnvelope(m, second.keys.keyAgreement) as { task: Task });
    assert.deepEqual(
      assigned.map((c) => c.task.id),
      [task.id],
    );
    assert.equal(await callError(first.client, 'get_task', { id: task.id }), 'task_not_found');

    const ended = await call<TaskOut>(second.client, 'update_task', { id: task.id, state: 'rejected' });
    assert.equal(ended.task.state, 'rejected');
    assert.equal(ended.task.error?.code, 'no_agent_available');
  });
});
