import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { silentLogger } from '../../lib/log.ts';
import { SystemSettings } from '../../schemas/system/tools.ts';
import { buildServer } from './server.ts';

async function connect(t: TestContext, settings: unknown, scopes = ['read', 'write']) {
  const server = buildServer({ settings: SystemSettings.parse(settings), log: silentLogger });
  const client = await connectInProcess(server, { authInfo: authInfoFor('operator:test', scopes) });
  t.after(() => client.close());
  return client;
}

function structured(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult;
  assert.equal(r.isError, undefined, JSON.stringify(r.content));
  return r.structuredContent as Record<string, unknown>;
}

function errorCode(result: unknown): string {
  const r = result as CallToolResult;
  assert.equal(r.isError, true);
  return toolErrorOf(r)?.code ?? '';
}

test('read-only by default: facts, disks and processes, and no run_command', async (t) => {
  const client = await connect(t, {});
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((x) => x.name).sort(), [
    'get_disk_usage',
    'get_system_info',
    'list_commands',
    'list_processes',
  ]);
  assert.ok(tools.every((x) => x.annotations?.readOnlyHint === true && x.outputSchema));

  const info = structured(await client.callTool({ name: 'get_system_info', arguments: {} }));
  assert.equal((info['process'] as { pid: number }).pid, process.pid);

  const disks = structured(await client.callTool({ name: 'get_disk_usage', arguments: { paths: ['/'] } }));
  assert.ok(((disks['disks'] as { total_bytes: number }[])[0]?.total_bytes ?? 0) > 0);
  assert.equal(
    errorCode(await client.callTool({ name: 'get_disk_usage', arguments: { paths: ['/no/such/dir'] } })),
    'path_unavailable',
  );

  const procs = structured(
    await client.callTool({ name: 'list_processes', arguments: { sort: 'pid', limit: 1000 } }),
  );
  assert.ok((procs['processes'] as { pid: number }[]).some((p) => p.pid === process.pid));
});

test('run_command runs only allow-listed commands, without a shell, within limits', async (t) => {
  const client = await connect(t, {
    commands: [
      { name: 'echo', path: '/bin/echo', args_pattern: '^[\\w $();]*$' },
      { name: 'sleep', path: '/bin/sleep', timeout_ms: 200 },
      { name: 'yes', path: '/usr/bin/yes', timeout_ms: 2000, max_output_bytes: 4096 },
    ],
  });
  const echoed = structured(
    await client.callTool({ name: 'run_command', arguments: { command: 'echo', args: ['hi; $(id)'] } }),
  );
  assert.equal(echoed['stdout'], 'hi; $(id)\n');
  assert.equal(echoed['exit_code'], 0);

  const slept = structured(
    await client.callTool({ name: 'run_command', arguments: { command: 'sleep', args: ['5'] } }),
  );
  assert.equal(slept['signal'], 'SIGKILL');

  const flood = structured(
    await client.callTool({ name: 'run_command', arguments: { command: 'yes', args: [] } }),
  );
  assert.equal(flood['truncated'], true);
  assert.equal((flood['stdout'] as string).length, 4096);

  assert.equal(
    errorCode(
      await client.callTool({ name: 'run_command', arguments: { command: 'sh', args: ['-c', 'id'] } }),
    ),
    'command_not_allowed',
  );
});

test('run_command needs the write scope', async (t) => {
  const client = await connect(t, { commands: [{ name: 'echo', path: '/bin/echo' }] }, ['read']);
  assert.equal(
    errorCode(await client.callTool({ name: 'run_command', arguments: { command: 'echo', args: [] } })),
    'insufficient_scope',
  );
});
