import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, fixtureFactory, startTestHub, tempDir } from './helpers.ts';

const FILESYSTEM_SERVER = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
);

test('a 2026-07-28 client lists and calls tools through the hub, which keeps nothing for it between requests', async (t) => {
  const hub = await startTestHub(t, { auth: { enabled: false } }, { components: { fix: fixtureFactory } });
  const client = await connectClient(t, hub.mcpUrl, { era: 'modern' });
  assert.equal(client.getProtocolEra(), 'modern');
  const names = (await client.listTools()).tools.map((tool) => tool.name);
  assert.ok(names.includes('fix__test_simple_text'));
  const result = await client.callTool({ name: 'fix__test_simple_text', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
  assert.equal(hub.aggregator.sessions.size, 0, 'no session for a modern client');

  const single = await connectClient(t, `${hub.mcpUrl}/fix`, { era: 'modern' });
  assert.ok((await single.listTools()).tools.some((tool) => tool.name === 'test_simple_text'));

  await assert.rejects(
    client.callTool({ name: 'fix__no_such_tool', arguments: {} }),
    (error: unknown) => error instanceof ProtocolError && error.code === -32602,
  );
});

test('a 2026-07-28 client hears of list changes over subscriptions/listen', async (t) => {
  const hub = await startTestHub(t, { auth: { enabled: false } }, { components: { fix: fixtureFactory } });
  const client = await connectClient(t, hub.mcpUrl, { era: 'modern' });
  const changed = new Promise<void>((resolve) =>
    client.setNotificationHandler('notifications/tools/list_changed', () => resolve()),
  );
  const subscription = await client.listen({ toolsListChanged: true });
  assert.deepEqual(subscription.honoredFilter, { toolsListChanged: true });
  await client.callTool({ name: 'fix__add_tool', arguments: {} });
  await changed;
  assert.ok((await client.listTools()).tools.some((tool) => tool.name === 'fix__extra_tool_1'));
  await subscription.close();
});

test("a 2025-era upstream's sampling request becomes an input_required round for a 2026-07-28 client", async (t) => {
  const hub = await startTestHub(t, { auth: { enabled: false } }, { components: { fix: fixtureFactory } });
  const client = await connectClient(t, hub.mcpUrl, { era: 'modern', capabilities: { sampling: {} } });
  const asked: string[] = [];
  client.setRequestHandler('sampling/createMessage', (request) => {
    const first = request.params.messages[0]?.content;
    asked.push(first && 'text' in first ? String(first.text) : '');
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled answer' } };
  });
  const result = await client.callTool({ name: 'fix__test_sampling', arguments: { prompt: 'say hi' } });
  assert.deepEqual(asked, ['say hi']);
  assert.match(JSON.stringify(result.content), /sampled answer/);
});

test('an SDK v2 client and an SDK v1 client each call a legacy stdio upstream and a built-in server, and hear of tool changes', async (t) => {
  const root = tempDir(t);
  fs.writeFileSync(path.join(root, 'note.txt'), 'hello from the reference server');
  const hub = await startTestHub(
    t,
    {
      auth: { enabled: false },
      mcpServers: {
        files: { command: process.execPath, args: [FILESYSTEM_SERVER, root], scope: 'read' },
      },
    },
    { components: { fix: fixtureFactory } },
  );
  assert.equal(
    hub.aggregator.mounts.get('files')?.upstream.era,
    'legacy',
    'the reference server is 2025-era',
  );

  const modern = await connectClient(t, hub.mcpUrl, { era: 'modern' });
  const v1 = new V1Client({ name: 'sdk-v1', version: '1.0.0' });
  t.after(() => v1.close());
  await v1.connect(new V1Transport(new URL(hub.mcpUrl)));

  for (const client of [modern, v1]) {
    const read = await client.callTool({
      name: 'files__read_text_file',
      arguments: { path: path.join(root, 'note.txt') },
    });
    assert.match(JSON.stringify(read.content), /hello from the reference server/);
    const simple = await client.callTool({ name: 'fix__test_simple_text', arguments: {} });
    assert.equal(
      (simple.content as { text: string }[])[0]?.text,
      'This is a simple text response for testing.',
    );
  }

  const modernChanged = new Promise<void>((resolve) =>
    modern.setNotificationHandler('notifications/tools/list_changed', () => resolve()),
  );
  const v1Changed = new Promise<void>((resolve) =>
    v1.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
  );
  const listening = await modern.listen({ toolsListChanged: true });
  await modern.callTool({ name: 'fix__add_tool', arguments: {} });
  await Promise.all([modernChanged, v1Changed]);
  await listening.close();
  assert.ok((await v1.listTools()).tools.some((tool) => tool.name === 'fix__extra_tool_1'));
});
