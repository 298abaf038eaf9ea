import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../lib/log.ts';
import { authInfoFor, connectInProcess } from '../lib/mcp/in-process.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';
import type { SandboxSettingsInput } from '../schemas/sandbox/tool-package.ts';
import { createSandbox, type Sandbox } from './component.ts';
import { signToolPackage } from './loader.ts';
import { FIXTURES, newAuthor, signedFixtures, tempDir, type Author } from './test-support.ts';

async function start(
  t: { after(fn: () => Promise<void> | void): void },
  settings: Partial<SandboxSettingsInput> = {},
): Promise<{ sandbox: Sandbox; client: Client; toolsDir: string; author: Author }> {
  const root = tempDir(t);
  const toolsDir = path.join(root, 'tools');
  mkdirSync(toolsDir);
  const author = newAuthor();
  await signedFixtures(toolsDir, ['echo'], author);
  let sandbox: Sandbox | null = null;
  t.after(() => sandbox?.close());
  sandbox = await createSandbox(
    { toolsDir, workers: 1, watch: false, policy: { workspace: path.join(root, 'ws') }, ...settings },
    { dataDir: path.join(root, 'data'), log: silentLogger },
  );
  const client = await connectInProcess(sandbox.createServer(), {
    authInfo: authInfoFor('operator:test', ['write']),
  });
  t.after(() => client.close());
  return { sandbox, client, toolsDir, author };
}

/** Writes and signs a one-file tool package. */
async function writeTool(
  dir: string,
  author: Author,
  manifest: Record<string, unknown>,
  source: string,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.js'), source);
  writeFileSync(
    path.join(dir, 'plexus-tool.json'),
    JSON.stringify({
      version: '1.0.0',
      description: 'test tool',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object' },
      permissions: { fs: [], net: [], memoryMb: 16, timeMs: 2000 },
      entry: 'index.js',
      ...manifest,
    }),
  );
  await signToolPackage(dir, author);
}

test('each loaded tool is listed with its own schemas, annotations and scope', async (t) => {
  const { client } = await start(t);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ['echo', 'get_sandbox_stats']);
  const echo = tools.find((tool) => tool.name === 'echo')!;
  assert.deepEqual(echo.inputSchema.properties, {
    text: { type: 'string', maxLength: 1000 },
    sleepMs: { type: 'integer', minimum: 0, maximum: 1000 },
  });
  assert.deepEqual(echo.inputSchema.required, ['text']);
  assert.equal(echo.inputSchema.additionalProperties, false);
  assert.deepEqual(echo.outputSchema?.required, ['echo']);
  assert.equal(echo.annotations?.openWorldHint, false);
  assert.equal(echo._meta?.['io.plexus/scope'], 'write');
});

test('input is validated against the tool schema and errors name the field', async (t) => {
  const { client } = await start(t);
  const cases: [Record<string, unknown>, string][] = [
    [{}, 'arguments.text'],
    [{ text: 5 }, 'arguments.text'],
    [{ text: 'x', sleepMs: -1 }, 'arguments.sleepMs'],
    [{ text: 'x', extra: true }, 'arguments.extra'],
  ];
  for (const [args, field] of cases) {
    const error = toolErrorOf(await client.callTool({ name: 'echo', arguments: args }));
    assert.equal(error?.code, 'invalid_input', JSON.stringify(args));
    assert.equal(error.field, field);
  }
});

test('output that breaks the output schema is an output_invalid error', async (t) => {
  const { client, toolsDir, author, sandbox } = await start(t);
  await writeTool(
    path.join(toolsDir, 'liar'),
    author,
    {
      name: 'liar',
      outputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    },
    'export default (input) => (input.array ? [1, 2] : { n: "not a number" });',
  );
  await sandbox.registry.reload();
  const wrongType = toolErrorOf(await client.callTool({ name: 'liar', arguments: {} }));
  assert.equal(wrongType?.code, 'output_invalid');
  assert.match(wrongType?.message ?? '', /output\.n: must be number/);
  const notObject = toolErrorOf(await client.callTool({ name: 'liar', arguments: { array: true } }));
  assert.equal(notObject?.code, 'output_invalid');
  const huge = toolErrorOf(
    await client.callTool({ name: 'liar', arguments: { blob: 'x'.repeat(1100 * 1024) } }),
  );
  assert.equal(huge?.code, 'invalid_input');
  assert.equal(huge.field, 'arguments');
});

test('a capability the grant lacks fails at call time naming the permission', async (t) => {
  const { client, toolsDir, author, sandbox } = await start(t);
  await writeTool(
    path.join(toolsDir, 'greedy'),
    author,
    { name: 'greedy', permissions: { fs: [], net: [], memoryMb: 16, timeMs: 2000, kv: true } },
    `export default async (input, ctx) => {
       if (input.op === 'kv') return { v: await ctx.kv.get('a') };
       if (input.op === 'fs') return { v: await ctx.fs.readFile('/etc/hostname') };
       return { v: await ctx.fetch('https://example.com/') };
     };`,
  );
  await sandbox.registry.reload();
  const expected: Record<string, RegExp> = {
    kv: /permission denied: kv: not granted to tool 'greedy' \(the manifest asked for kv; operator policy did not grant it\)/,
    fs: /permission denied: fs read: \/etc\/hostname is outside the granted roots; granted roots: none/,
    net: /permission denied: net example\.com:443: not in the granted hosts \[\]/,
  };
  for (const [op, pattern] of Object.entries(expected)) {
    const error = toolErrorOf(await client.callTool({ name: 'greedy', arguments: { op } }));
    assert.equal(error?.code, 'permission_denied', op);
    assert.match(error?.message ?? '', pattern, op);
  }
});

test('kv persists per tool across calls and is not shared between tools', async (t) => {
  const { client, toolsDir, author, sandbox } = await start(t, {
    policy: { defaults: { kv: true } },
  });
  const source = `export default async (input, ctx) => {
    if (input.set !== undefined) await ctx.kv.set('k', input.set);
    return { value: await ctx.kv.get('k'), keys: await ctx.kv.list() };
  };`;
  const perms = { fs: [], net: [], memoryMb: 16, timeMs: 2000, kv: true };
  await writeTool(path.join(toolsDir, 'kv-a'), author, { name: 'kv-a', permissions: perms }, source);
  await writeTool(path.join(toolsDir, 'kv-b'), author, { name: 'kv-b', permissions: perms }, source);
  await sandbox.registry.reload();
  await client.callTool({ name: 'kv-a', arguments: { set: { n: 1 } } });
  const a = await client.callTool({ name: 'kv-a', arguments: {} });
  assert.deepEqual(a.structuredContent, { value: { n: 1 }, keys: ['k'] });
  const b = await client.callTool({ name: 'kv-b', arguments: {} });
  assert.deepEqual(b.structuredContent, { value: null, keys: [] });
});

test('the server follows the tools folder: added, changed and removed packages', async (t) => {
  const { client, toolsDir, author } = await start(t, { watch: true, reloadDebounceMs: 20 });
  let changed: () => void = () => {};
  client.setNotificationHandler('notifications/tools/list_changed', () => changed());
  const nextChange = () => new Promise<void>((resolve) => (changed = resolve));

  let change = nextChange();
  cpSync(path.join(FIXTURES, 'probe'), path.join(toolsDir, 'probe'), { recursive: true });
  await signToolPackage(path.join(toolsDir, 'probe'), author);
  await change;
  assert.ok((await client.listTools()).tools.some((tool) => tool.name === 'probe'));

  change = nextChange();
  rmSync(path.join(toolsDir, 'probe'), { recursive: true });
  await change;
  assert.ok(!(await client.listTools()).tools.some((tool) => tool.name === 'probe'));
});

test('get_sandbox_stats reports calls, errors, grants and refused packages', async (t) => {
  const { client, toolsDir, sandbox } = await start(t);
  cpSync(path.join(FIXTURES, 'sync-loop'), path.join(toolsDir, 'unsigned-loop'), { recursive: true });
  await sandbox.registry.reload();
  await client.callTool({ name: 'echo', arguments: { text: 'a' } });
  await client.callTool({ name: 'echo', arguments: { text: 'b' } });
  const result = await client.callTool({ name: 'get_sandbox_stats', arguments: {} });
  const stats = result.structuredContent as {
    tools: { name: string; calls: number; ok: number; coldStarts: number; granted: { memoryMb: number } }[];
    failures: { dir: string; code: string }[];
    workers: number;
    busy: number;
    idle: number;
    queued: number;
  };
  const echo = stats.tools.find((tool) => tool.name === 'echo')!;
  assert.equal(echo.calls, 2);
  assert.equal(echo.ok, 2);
  assert.equal(echo.coldStarts, 1);
  assert.equal(echo.granted.memoryMb, 16);
  assert.deepEqual(
    stats.failures.map((f) => [path.basename(f.dir), f.code]),
    [['unsigned-loop', 'manifest_unsigned']],
  );
  assert.deepEqual([stats.workers, stats.busy, stats.idle, stats.queued], [1, 0, 1, 0]);
  const timed = stats.tools.find((tool) => tool.name === 'echo') as unknown as {
    p50WallMs: number;
    p99WallMs: number;
    maxWallMs: number;
  };
  assert.ok(timed.p50WallMs > 0 && timed.p50WallMs <= timed.p99WallMs && timed.p99WallMs <= timed.maxWallMs);
  const missing = toolErrorOf(
    await client.callTool({ name: 'get_sandbox_stats', arguments: { name: 'nope' } }),
  );
  assert.equal(missing?.code, 'tool_not_found');
});
