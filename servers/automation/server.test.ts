import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../../lib/log.ts';
import { TasksClient, connectHttp, plainModernClient } from '../../test/helpers/tasks-client.ts';
import type { Component } from '../../lib/mcp/component.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { AutomationSettings, type WorkflowRun } from '../../schemas/automation/tools.ts';
import { SystemSettings } from '../../schemas/system/tools.ts';
import { buildServer as buildSystem } from '../system/server.ts';
import { Automation } from './domain/automation.ts';
import type { ToolInvoker } from './domain/runner.ts';
import { openSqliteAutomationStore } from './domain/store-sqlite.ts';
import { workflowTasks } from './component.ts';
import { buildServer } from './server.ts';

const AUTH = authInfoFor('operator:test', ['read', 'write']);

/** Workflows call the real system server, in this process, as `system__<tool>`. */
async function systemInvoker(t: TestContext): Promise<ToolInvoker> {
  const settings = SystemSettings.parse({
    commands: [
      { name: 'echo', path: '/bin/echo' },
      { name: 'sleep', path: '/bin/sleep', timeout_ms: 600_000 },
    ],
  });
  const system = await connectInProcess(buildSystem({ settings, log: silentLogger }), { authInfo: AUTH });
  t.after(() => system.close());
  return {
    call: async (name, args, signal) => {
      const [server, tool] = name.split('__');
      if (server !== 'system' || !tool)
        return { isError: true, content: [{ type: 'text', text: `unknown tool ${name}` }] };
      return await system.callTool({ name: tool, arguments: args }, signal ? { signal } : {});
    },
  };
}

async function setup(t: TestContext, now = Date.now, invoker?: ToolInvoker) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-automation-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteAutomationStore(path.join(dir, 'automation.db'));
  const settings = AutomationSettings.parse({ min_interval_seconds: 1, mcp_tasks: { poll_interval_ms: 5 } });
  const automation = new Automation({
    store,
    invoker: invoker ?? (await systemInvoker(t)),
    settings,
    now,
    log: silentLogger,
  });
  const tasks = workflowTasks(settings, { now, log: silentLogger });
  t.after(() => {
    tasks.close();
    automation.close();
    store.close();
  });
  const component: Component = {
    createServer: () => buildServer({ automation, tasks, log: silentLogger }),
    close: async () => {},
  };
  const client = await connectInProcess(component.createServer(), { authInfo: AUTH });
  t.after(() => client.close());
  return { client, dir, automation, component };
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, undefined, JSON.stringify(result.content));
  return result.structuredContent as Record<string, unknown>;
}

const REPORT = {
  name: 'report',
  description: 'system facts, then echo them',
  steps: [
    { id: 'info', tool: 'system__get_system_info', arguments: {} },
    {
      id: 'say',
      tool: 'system__run_command',
      arguments: {
        command: 'echo',
        args: [
          '{{input.greeting}} from {{steps.info.structured.hostname}}',
          'cpus={{steps.info.structured.cpus.count}}',
        ],
      },
    },
  ],
};

test('a workflow runs its steps in order with templated arguments', async (t) => {
  const { client } = await setup(t);
  assert.deepEqual(await call(client, 'create_workflow', { workflow: REPORT }), {
    name: 'report',
    steps: 2,
    replaced: false,
  });
  const run = (await call(client, 'run_workflow', {
    name: 'report',
    input: { greeting: 'hello' },
  })) as unknown as WorkflowRun;
  assert.equal(run.status, 'succeeded', JSON.stringify(run.steps));
  assert.deepEqual(
    run.steps.map((s) => s.status),
    ['succeeded', 'succeeded'],
  );
  const said = run.steps[1]?.structured as { stdout: string };
  assert.equal(said.stdout, `hello from ${os.hostname()} cpus=${os.cpus().length}\n`);

  const { runs } = (await call(client, 'list_runs', { name: 'report' })) as { runs: WorkflowRun[] };
  assert.equal(runs[0]?.id, run.id);
  const listed = await call(client, 'list_workflows', {});
  assert.deepEqual(
    (listed['workflows'] as { name: string; steps: number }[]).map((w) => [w.name, w.steps]),
    [['report', 2]],
  );
});

test('a failing step stops the run and is named; later steps are skipped', async (t) => {
  const { client } = await setup(t);
  await call(client, 'create_workflow', {
    workflow: {
      name: 'broken',
      steps: [
        { id: 'first', tool: 'system__run_command', arguments: { command: 'rm', args: ['-rf', '/'] } },
        { id: 'second', tool: 'system__get_system_info', arguments: {} },
      ],
    },
  });
  const run = (await call(client, 'run_workflow', { name: 'broken' })) as unknown as WorkflowRun;
  assert.equal(run.status, 'failed');
  assert.equal(run.failed_step, 'first');
  assert.match(run.steps[0]?.error ?? '', /command_not_allowed/);
  assert.equal(run.steps[1]?.status, 'skipped');

  await call(client, 'create_workflow', {
    workflow: {
      name: 'badref',
      steps: [{ id: 'a', tool: 'system__list_commands', arguments: { x: '{{steps.zzz.text}}' } }],
    },
  });
  const unresolved = (await call(client, 'run_workflow', { name: 'badref' })) as unknown as WorkflowRun;
  assert.equal(unresolved.failed_step, 'a');
  assert.match(unresolved.steps[0]?.error ?? '', /steps\.0\.arguments\.x/);
});

test('malformed workflows and unknown names are refused with the field named', async (t) => {
  const { client } = await setup(t);
  const duplicate = await client.callTool({
    name: 'create_workflow',
    arguments: {
      workflow: {
        name: 'dup',
        steps: [
          { id: 'a', tool: 'x__y' },
          { id: 'a', tool: 'x__z' },
        ],
      },
    },
  });
  assert.match(toolErrorOf(duplicate)?.message ?? '', /steps\.1\.id|duplicate step id/);
  const badName = await client.callTool({
    name: 'create_workflow',
    arguments: { workflow: { name: 'Bad Name', steps: [] } },
  });
  assert.equal(toolErrorOf(badName)?.code, 'invalid_params');
  const missing = await client.callTool({ name: 'run_workflow', arguments: { name: 'ghost' } });
  assert.equal(toolErrorOf(missing)?.code, 'workflow_not_found');
});

test('schedules run on their interval, survive a restart of the store, and stop when unscheduled', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { client, automation } = await setup(t, Date.now);
  await call(client, 'create_workflow', {
    workflow: { name: 'tick', steps: [{ id: 'c', tool: 'system__list_commands', arguments: {} }] },
  });
  const scheduled = await call(client, 'schedule_workflow', { name: 'tick', every_seconds: 60 });
  assert.equal(scheduled['next_run_at'], 1_060_000);

  const ranTimes = async (n: number) => {
    for (let i = 0; i < 50 && automation.runs('tick', 100).length < n; i++)
      await new Promise<void>((r) => setImmediate(r));
    return automation.runs('tick', 100).length;
  };
  t.mock.timers.tick(59_999);
  assert.equal(await ranTimes(1), 0);
  t.mock.timers.tick(1);
  assert.equal(await ranTimes(1), 1);
  t.mock.timers.tick(60_000);
  assert.equal(await ranTimes(2), 2);
  assert.ok(automation.runs('tick', 100).every((r) => r.trigger === 'schedule' && r.status === 'succeeded'));

  assert.deepEqual(await call(client, 'unschedule_workflow', { name: 'tick' }), {
    name: 'tick',
    was_scheduled: true,
  });
  t.mock.timers.tick(600_000);
  assert.equal(await ranTimes(3), 2);
});

/** The automation component over HTTP (both eras); tokens name operators with read and write. */
async function serveAutomation(t: TestContext, component: Component) {
  const served = await serveHttp(component, {
    verifyToken: async (token) => ({ token, clientId: `operator:${token}`, scopes: ['read', 'write'] }),
    log: silentLogger,
  });
  t.after(() => served.close());
  return async <C extends Client>(client: C, token: string) => {
    t.after(() => client.close());
    return connectHttp(client, served.url, token);
  };
}

/** A run without what differs from one run to the next: its id and times. */
function comparable(run: WorkflowRun) {
  return {
    ...run,
    id: '',
    started_at: 0,
    finished_at: 0,
    steps: run.steps.map((step) => ({ ...step, duration_ms: 0 })),
  };
}

test('run_workflow runs as a task for a declaring client and ends with the blocking result', async (t) => {
  const { client, component } = await setup(t);
  // Steps whose results are the same every time, so that two runs compare.
  await call(client, 'create_workflow', {
    workflow: {
      name: 'listing',
      steps: [
        { id: 'all', tool: 'system__list_commands', arguments: {} },
        { id: 'again', tool: 'system__list_commands', arguments: { note: '{{input.greeting}}' } },
      ],
    },
  });
  const connect = await serveAutomation(t, component);
  const operator = await connect(new TasksClient(), 'ops');
  const answer = await operator.callToolOrTask('run_workflow', {
    name: 'listing',
    input: { greeting: 'hi' },
  });
  assert.ok('task' in answer, 'a declaring client gets a task handle');
  const done = await operator.pollTask(answer.task.taskId);
  assert.equal(done.status, 'completed');
  const asTask = done.result?.['structuredContent'] as WorkflowRun;
  assert.equal(asTask.status, 'succeeded', JSON.stringify(asTask.steps));

  const plain = await connect(plainModernClient(), 'ops');
  const blocking = await plain.callTool({
    name: 'run_workflow',
    arguments: { name: 'listing', input: { greeting: 'hi' } },
  });
  assert.deepEqual(comparable(asTask), comparable(blocking.structuredContent as WorkflowRun));
  assert.deepEqual(done.result?.['content'], blocking.content);
});

test('cancelling a workflow task aborts its running step; other callers cannot see it', async (t) => {
  const aborted = Promise.withResolvers<void>();
  const system = await systemInvoker(t);
  const { client, component } = await setup(t, Date.now, {
    call: (name, args, signal) => {
      signal?.addEventListener('abort', () => aborted.resolve(), { once: true });
      return system.call(name, args, signal);
    },
  });
  await call(client, 'create_workflow', {
    workflow: {
      name: 'nap',
      steps: [{ id: 'sleep', tool: 'system__run_command', arguments: { command: 'sleep', args: ['600'] } }],
    },
  });
  const connect = await serveAutomation(t, component);
  const operator = await connect(new TasksClient(), 'ops');
  const stranger = await connect(new TasksClient(), 'stranger');
  const answer = await operator.callToolOrTask('run_workflow', { name: 'nap' });
  assert.ok('task' in answer);
  const id = answer.task.taskId;
  await assert.rejects(stranger.getTask(id), { code: -32602 });
  await assert.rejects(stranger.cancelTask(id), { code: -32602 });
  assert.equal((await operator.getTask(id)).status, 'working');

  await operator.cancelTask(id);
  await aborted.promise;
  assert.equal((await operator.getTask(id)).status, 'cancelled');
});
