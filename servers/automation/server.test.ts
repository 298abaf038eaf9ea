import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { AutomationSettings, type WorkflowRun } from '../../schemas/automation/tools.ts';
import { SystemSettings } from '../../schemas/system/tools.ts';
import { buildServer as buildSystem } from '../system/server.ts';
import { Automation } from './domain/automation.ts';
import type { ToolInvoker } from './domain/runner.ts';
import { openSqliteAutomationStore } from './domain/store-sqlite.ts';
import { buildServer } from './server.ts';

const AUTH = authInfoFor('operator:test', ['read', 'write']);

/** Workflows call the real system server, in this process, as `system__<tool>`. */
async function systemInvoker(t: TestContext): Promise<ToolInvoker> {
  const settings = SystemSettings.parse({ commands: [{ name: 'echo', path: '/bin/echo' }] });
  const system = await connectInProcess(buildSystem({ settings, log: silentLogger }), { authInfo: AUTH });
  t.after(() => system.close());
  return {
    call: async (name, args) => {
      const [server, tool] = name.split('__');
      if (server !== 'system' || !tool)
        return { isError: true, content: [{ type: 'text', text: `unknown tool ${name}` }] };
      return await system.callTool({ name: tool, arguments: args });
    },
  };
}

async function setup(t: TestContext, now = Date.now) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-automation-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteAutomationStore(path.join(dir, 'automation.db'));
  const settings = AutomationSettings.parse({ min_interval_seconds: 1 });
  const automation = new Automation({
    store,
    invoker: await systemInvoker(t),
    settings,
    now,
    log: silentLogger,
  });
  t.after(() => {
    automation.close();
    store.close();
  });
  const client = await connectInProcess(buildServer({ automation, log: silentLogger }), { authInfo: AUTH });
  t.after(() => client.close());
  return { client, dir, automation };
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
