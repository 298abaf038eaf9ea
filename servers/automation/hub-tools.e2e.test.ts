import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { WorkflowRun } from '../../schemas/automation/tools.ts';
import { tempDir } from '../../test/hub/helpers.ts';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');

test('in the hub, workflows call the hub’s own servers', { timeout: 240_000 }, async (t) => {
  const data = tempDir(t);
  const config = path.join(data, 'plexus.json');
  fs.writeFileSync(config, JSON.stringify({ servers: { automation: {} } }));
  const hub = new Client({ name: 'automation-hub-check', version: '1.0.0' });
  t.after(() => hub.close());
  await hub.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--no-node-snapshot', PLEXUS, 'hub', '--stdio', '--config', config, '--data', data],
      env: { ...getDefaultEnvironment(), PLEXUS_LOG_LEVEL: 'error' },
      cwd: data,
      stderr: 'ignore',
    }),
    { timeout: 120_000 },
  );
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await hub.callTool({ name, arguments: args });
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    return result.structuredContent as Record<string, unknown>;
  };
  await call('automation__create_workflow', {
    workflow: {
      name: 'whoami',
      steps: [
        { id: 'info', tool: 'registry__get_registry_info', arguments: {} },
        { id: 'trust', tool: 'identity__get_trust', arguments: { did: '{{steps.info.structured.did}}' } },
        { id: 'loop', tool: 'automation__list_workflows', arguments: {}, continue_on_error: true },
        { id: 'nowhere', tool: 'nosuch__tool', arguments: {}, continue_on_error: true },
      ],
    },
  });
  const run = (await call('automation__run_workflow', { name: 'whoami' })) as unknown as WorkflowRun;
  assert.deepEqual(
    run.steps.map((s) => s.status),
    ['succeeded', 'succeeded', 'failed', 'failed'],
    JSON.stringify(run.steps),
  );
  const info = run.steps[0]?.structured as { did: string };
  assert.equal((run.steps[1]?.structured as { did: string }).did, info.did);
  assert.equal(typeof (run.steps[1]?.structured as { score: number }).score, 'number');
  assert.match(run.steps[2]?.error ?? '', /a workflow cannot call the automation server/);
  assert.match(run.steps[3]?.error ?? '', /unknown tool 'nosuch__tool': no server 'nosuch'/);
});
