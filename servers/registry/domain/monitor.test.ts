import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openEnvelope } from '../../../lib/crypto/envelope.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { Task } from '../../../schemas/task.ts';
import type { AgentView } from '../../../schemas/registry/tools.ts';
import { call, registeredAgent, startRegistry, type RegistryHarness, type TestAgent } from '../testing.ts';

// TEST_SETTINGS: heartbeat every 1 s, stale after 2 s of silence, offline after 5 s.

async function statusOf(h: RegistryHarness, agent: TestAgent): Promise<string> {
  const viewer = await h.connect(agent.did);
  return (await call<{ agent: AgentView }>(viewer, 'get_agent', { did: agent.did })).agent.status;
}

async function agentEvents(h: RegistryHarness): Promise<[string, string, unknown][]> {
  const hub = await h.asHub('router');
  const { events } = await call<{ events: { type: string; subject: string; data: { from: unknown } }[] }>(
    hub,
    'fetch_events',
    { types: ['agent.online', 'agent.stale', 'agent.offline'] },
  );
  return events.map((e) => [e.type, e.subject, e.data.from]);
}

async function inboxOf(h: RegistryHarness, agent: TestAgent): Promise<Envelope[]> {
  const router = await h.router(agent.did);
  return (await call<{ messages: Envelope[] }>(router, 'fetch_inbox', {})).messages;
}

describe('heartbeat monitor', () => {
  it('marks a silent agent stale, then offline, and a heartbeat brings it back, with an event each time', async (t) => {
    const h = await startRegistry(t);
    const agent = await registeredAgent(h);
    h.clock.advance(2000);
    assert.deepEqual((await h.registry.monitor.tick()).stale, [], 'exactly two intervals is not yet silence');
    h.clock.advance(1);
    assert.deepEqual((await h.registry.monitor.tick()).stale, [agent.did]);
    assert.equal(await statusOf(h, agent), 'stale');
    h.clock.advance(3000);
    assert.deepEqual((await h.registry.monitor.tick()).offline, [agent.did]);
    assert.equal(await statusOf(h, agent), 'offline');
    assert.deepEqual((await h.registry.monitor.tick()).offline, [], 'no transition, no event');
    await call(agent.client, 'heartbeat', { load: 0.1 });
    assert.equal(await statusOf(h, agent), 'online');
    assert.deepEqual(await agentEvents(h), [
      ['agent.online', agent.did, null],
      ['agent.stale', agent.did, 'online'],
      ['agent.offline', agent.did, 'stale'],
      ['agent.online', agent.did, 'offline'],
    ]);
  });

  it('runs on its interval (mocked timers)', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const h = await startRegistry(t, { settings: { monitorIntervalMs: 500 } });
    const agent = await registeredAgent(h);
    const running = () => h.registry.monitor.running;
    h.clock.advance(2500);
    t.mock.timers.tick(499);
    assert.equal(running(), null, 'not yet');
    t.mock.timers.tick(1);
    assert.ok(running(), 'the interval fired a tick');
    assert.deepEqual((await running())?.stale, [agent.did]);
    assert.equal(await statusOf(h, agent), 'stale');
  });

  it('re-dispatches the task of an assignee that stops heartbeating, and tells it to stop', async (t) => {
    const h = await startRegistry(t, { identity: true });
    const requester = await registeredAgent(h);
    const silent = await registeredAgent(h, { capabilities: ['summarize'] });
    const steady = await registeredAgent(h, { capabilities: ['summarize'] });
    await call(steady.client, 'heartbeat', { load: 0.5 });
    const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: { text: 'x' },
    });
    assert.equal(task.assignee, silent.did);

    for (let second = 1; second <= 5; second++) {
      h.clock.advance(1000);
      await call(steady.client, 'heartbeat', { load: 0.5 });
      await call(requester.client, 'heartbeat', {});
      await h.registry.monitor.tick();
    }
    assert.equal(
      (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task.assignee,
      silent.did,
    );
    h.clock.advance(1);
    const report = await h.registry.monitor.tick();
    assert.deepEqual(report.offline, [silent.did]);
    assert.equal(report.redispatched, 1);

    const moved = (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task;
    assert.equal(moved.assignee, steady.did);
    assert.equal(moved.state, 'submitted');
    assert.equal(moved.attempts, 2);
    assert.match(moved.history.at(-1)?.note ?? '', /went offline/);
    const assigned = await inboxOf(h, steady);
    assert.equal(assigned.length, 1);
    assert.equal((openEnvelope(assigned[0]!, steady.keys.keyAgreement) as { task: Task }).task.id, task.id);
    assert.deepEqual(
      (await inboxOf(h, silent)).map((m) => m.type),
      ['task/cancel', 'task/assign'],
    );
    assert.deepEqual(
      (await inboxOf(h, requester)).map((m) => m.type),
      ['task/status'],
      'the requester hears that its task moved',
    );
    const trust = await call<{ outcomes: { task: { negative: number }; uptime: { negative: number } } }>(
      await h.asHub('identity'),
      'get_trust',
      { did: silent.did },
    );
    assert.equal(trust.outcomes.uptime.negative, 1, 'going silent counts against uptime');
    assert.equal(trust.outcomes.task.negative, 1, 'and against the task it held');
  });

  it('re-dispatches a missed deadline with a fresh one, up to max_attempts, then fails it', async (t) => {
    const h = await startRegistry(t, { identity: true });
    const requester = await registeredAgent(h);
    const a = await registeredAgent(h, { capabilities: ['summarize'] });
    const b = await registeredAgent(h, { capabilities: ['summarize'] });
    await call(b.client, 'heartbeat', { load: 0.5 });
    const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
      deadline: h.clock.now() + 1500,
      max_attempts: 2,
    });
    assert.equal(task.assignee, a.did);
    await call(a.client, 'update_task', { id: task.id, state: 'working' });

    h.clock.advance(1500);
    assert.equal((await h.registry.monitor.tick()).redispatched, 1);
    const second = (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task;
    assert.equal(second.assignee, b.did);
    assert.equal(second.deadline, h.clock.now() + 1500, 'the new attempt gets the same time again');
    assert.match(second.history.at(-1)?.note ?? '', /missed the deadline/);

    h.clock.advance(1500);
    await call(b.client, 'heartbeat', { load: 0.5 });
    await h.registry.monitor.tick();
    const last = (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task;
    assert.equal(last.state, 'failed');
    assert.equal(last.error?.code, 'attempts_exhausted');

    const identity = await h.asHub('identity');
    for (const agent of [a, b]) {
      const trust = await call<{ outcomes: { task: { negative: number } } }>(identity, 'get_trust', {
        did: agent.did,
      });
      assert.equal(trust.outcomes.task.negative, 1, 'a missed deadline counts against the assignee');
    }
  });

  it('a task overdue while it waits for the requester fails as input_timeout, not against the assignee', async (t) => {
    const h = await startRegistry(t, { identity: true });
    const requester = await registeredAgent(h);
    const a = await registeredAgent(h, { capabilities: ['summarize'] });
    await registeredAgent(h, { capabilities: ['summarize'] });
    const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
      deadline: h.clock.now() + 1500,
      preferred_agents: [a.did],
    });
    assert.equal(task.assignee, a.did);
    await call(a.client, 'update_task', { id: task.id, state: 'input-required', message: 'which year?' });

    h.clock.advance(1500);
    await call(a.client, 'heartbeat', { load: 0.5 });
    assert.equal((await h.registry.monitor.tick()).redispatched, 0);
    const ended = (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task;
    assert.equal(ended.state, 'failed');
    assert.equal(ended.assignee, a.did, 'not moved to another agent');
    assert.equal(ended.error?.code, 'input_timeout');
    assert.match(ended.error?.message ?? '', /which year\?/);
    assert.deepEqual(
      (await inboxOf(h, a)).map((m) => m.type).sort(),
      ['task/assign', 'task/cancel'],
      'the assignee is told to stop',
    );
    const trust = await call<{ outcomes: { task: { negative: number } } }>(
      await h.asHub('identity'),
      'get_trust',
      {
        did: a.did,
      },
    );
    assert.equal(
      trust.outcomes.task.negative,
      0,
      'waiting for the requester is not held against the assignee',
    );
  });

  it('signing off with an offline heartbeat moves open tasks at once', async (t) => {
    const h = await startRegistry(t);
    const requester = await registeredAgent(h);
    const leaving = await registeredAgent(h, { capabilities: ['summarize'] });
    const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: 1,
    });
    const bye = await call<{ agent: AgentView }>(leaving.client, 'heartbeat', { status: 'offline' });
    assert.equal(bye.agent.status, 'offline');
    const ended = (await call<{ task: Task }>(requester.client, 'get_task', { id: task.id })).task;
    assert.equal(ended.state, 'failed', 'nobody else offers the capability');
    assert.equal(ended.error?.code, 'no_agent_available');
  });
});
