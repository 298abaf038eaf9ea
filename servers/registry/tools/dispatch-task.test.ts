import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openEnvelope, verifyEnvelope } from '../../../lib/crypto/envelope.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import { Task } from '../../../schemas/task.ts';
import { call, callError, callInvalid, registeredAgent, startRegistry, type TestAgent } from '../testing.ts';

interface Dispatched {
  task: Task & { message: string | null };
  registry_did: string;
}

async function heartbeat(agent: TestAgent, load: number, status = 'online'): Promise<void> {
  await call(agent.client, 'heartbeat', { status, load, active_tasks: 0 });
}

describe('dispatch_task', () => {
  it('picks an online agent with the capability: preferred, then most trusted, then least loaded', async (t) => {
    const h = await startRegistry(t, { identity: true, settings: { trustCacheMs: 0 } });
    const requester = await registeredAgent(h, { capabilities: ['summarize'] });
    const a = await registeredAgent(h, { name: 'A', capabilities: ['summarize'] });
    const b = await registeredAgent(h, { name: 'B', capabilities: ['summarize', 'translate'] });
    const c = await registeredAgent(h, { name: 'C', capabilities: ['translate'] });
    const off = await registeredAgent(h, { name: 'Off', capabilities: ['summarize'] });
    const full = await registeredAgent(h, { name: 'Full', capabilities: ['summarize'] });
    await heartbeat(a, 0.4);
    await heartbeat(b, 0.2);
    await heartbeat(c, 0);
    await heartbeat(off, 0, 'offline');
    await heartbeat(full, 1);

    const dispatch = (args: Record<string, unknown> = {}) =>
      call<Dispatched>(requester.client, 'dispatch_task', {
        capability: 'summarize',
        input: { text: 'long text' },
        ...args,
      });
    const first = await dispatch();
    assert.equal(
      first.task.assignee,
      b.did,
      'equal trust: the least loaded online agent with the capability',
    );
    assert.equal(first.task.state, 'submitted');
    assert.equal(first.task.requester, requester.did);
    assert.equal(first.task.attempts, 1);
    assert.ok(Task.safeParse(first.task).success);

    const identity = await h.asHub('identity');
    for (const reference of ['t1', 't2', 't3']) {
      await call(identity, 'report_outcome', { subject: a.did, source: 'task', positive: true, reference });
    }
    assert.equal((await dispatch()).task.assignee, a.did, 'more trusted wins over less loaded');
    assert.equal(
      (await dispatch({ preferred_agents: [c.did, b.did] })).task.assignee,
      b.did,
      'a preferred agent with the capability comes first',
    );
    assert.equal(
      (await dispatch({ capability: 'translate' })).task.assignee,
      c.did,
      'the capability decides who can take it',
    );
    assert.equal(
      await callError(requester.client, 'dispatch_task', { capability: 'paint', input: {} }),
      'no_agent_available',
    );
    const solo = await call<Dispatched>(a.client, 'dispatch_task', { capability: 'summarize', input: null });
    assert.notEqual(solo.task.assignee, a.did, 'a requester never gets its own task');
  });

  it('delivers a task/assign envelope the assignee can verify as the registry and open', async (t) => {
    const h = await startRegistry(t);
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const deadline = h.clock.now() + 60_000;
    const { task, registry_did } = await call<Dispatched>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: { text: 'secret report' },
      deadline,
    });
    assert.equal(task.deadline, deadline);
    const info = await call<{ did: string }>(worker.client, 'get_registry_info');
    assert.equal(info.did, registry_did);

    const inbox = await h.router(worker.did);
    const { messages } = await call<{ messages: Envelope[] }>(inbox, 'fetch_inbox', {});
    assert.equal(messages.length, 1);
    const envelope = messages[0]!;
    assert.equal(envelope.type, 'task/assign');
    assert.equal(envelope.sender, registry_did);
    assert.equal(envelope.recipient, worker.did);
    assert.equal(envelope.thread, task.id);
    assert.equal(verifyEnvelope(envelope), true, "the registry's signature verifies");
    assert.equal(verifyEnvelope({ ...envelope, thread: 'forged' }), false);
    assert.equal(envelope.content, undefined, 'sealed for the assignee: the router only sees ciphertext');
    const content = openEnvelope(envelope, worker.keys.keyAgreement) as { task: Task };
    assert.equal(content.task.id, task.id);
    assert.deepEqual(content.task.input, { text: 'secret report' });
    assert.equal(content.task.requester, requester.did);

    const hub = await h.asHub('router');
    const { events } = await call<{ events: { type: string; subject: string }[] }>(hub, 'fetch_events', {
      types: ['task.submitted'],
    });
    assert.deepEqual(
      events.map((e) => e.subject),
      [task.id],
    );
  });

  it('sends an input too big for a sealed envelope by reference: the assignee fetches it with get_task', async (t) => {
    const h = await startRegistry(t);
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const input = { text: 'x'.repeat(48_500) };
    const { task } = await call<Dispatched>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input,
    });
    const inbox = await h.router(worker.did);
    const { messages } = await call<{ messages: Envelope[] }>(inbox, 'fetch_inbox', {});
    assert.equal(messages.length, 1);
    const content = openEnvelope(messages[0]!, worker.keys.keyAgreement) as {
      task: Task;
      input_omitted?: boolean;
    };
    assert.equal(content.input_omitted, true);
    assert.equal(content.task.input, null);
    const fetched = await call<Dispatched>(worker.client, 'get_task', { id: task.id });
    assert.deepEqual(fetched.task.input, input);
  });

  it('still records the task when no router is in the composition', async (t) => {
    const h = await startRegistry(t, { router: false });
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const { task } = await call<Dispatched>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
    });
    const held = await call<{ tasks: Task[] }>(worker.client, 'list_tasks', { role: 'assignee' });
    assert.deepEqual(
      held.tasks.map((x) => x.id),
      [task.id],
    );
  });

  it('refuses a deadline in the past and malformed input', async (t) => {
    const h = await startRegistry(t, { router: false });
    const requester = await registeredAgent(h);
    await registeredAgent(h, { capabilities: ['summarize'] });
    await callInvalid(
      requester.client,
      'dispatch_task',
      { capability: 'summarize', input: {}, deadline: h.clock.now() - 1 },
      'deadline',
    );
    await callInvalid(requester.client, 'dispatch_task', { capability: 'Bad Cap', input: {} }, 'capability');
    const { tasks } = await call<{ tasks: Task[] }>(requester.client, 'list_tasks', {});
    assert.equal(tasks.length, 0, 'nothing recorded');
  });
});
