import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, startTestHub } from './helpers.ts';

const CHOSEN = ['registry__find_agents', 'router__fetch_events'];

test('a virtual server of plexus.json lists and calls only its tools, at both revisions', async (t) => {
  const hub = await startTestHub(t, {
    auth: { enabled: false },
    servers: { identity: {}, registry: {}, router: {} },
    virtualServers: { observer: { tools: CHOSEN, description: 'what an observer needs' } },
  });
  for (const era of ['modern', 'legacy'] as const) {
    const client = await connectClient(t, `${hub.url}/mcp/v/observer`, { era });
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), CHOSEN, era);
    const found = await client.callTool({ name: 'registry__find_agents', arguments: {} });
    assert.deepEqual(found.structuredContent, { agents: [], cursor: null }, era);
    await assert.rejects(client.callTool({ name: 'router__send_message', arguments: {} }), {
      data: { field: 'name', code: 'unknown_tool' },
    });
  }
  const missing = await fetch(`${hub.url}/mcp/v/nobody`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  assert.equal(missing.status, 404);
  assert.match(
    ((await missing.json()) as { error: { message: string } }).error.message,
    /virtual server named 'nobody'/,
  );
});

test('a tool or a server switched off leaves every view, and clients are told', async (t) => {
  const hub = await startTestHub(t, {
    auth: { enabled: false },
    servers: { identity: {}, registry: {}, router: {} },
    virtualServers: { observer: { tools: CHOSEN } },
  });
  const client = await connectClient(t, `${hub.url}/mcp`);
  const changed = new Promise<void>((resolve) => {
    client.setNotificationHandler('notifications/tools/list_changed', () => resolve());
  });
  const names = async (c = client) => (await c.listTools()).tools.map((tool) => tool.name);
  assert.ok((await names()).includes('router__fetch_events'));

  hub.aggregator.setSwitches({ servers: new Set(['registry']), tools: new Set(['router__fetch_events']) });
  await changed;
  const left = await names();
  assert.ok(!left.includes('router__fetch_events'));
  assert.ok(!left.some((name) => name.startsWith('registry__')));
  assert.ok(left.includes('router__send_message'));
  const observer = await connectClient(t, `${hub.url}/mcp/v/observer`);
  assert.deepEqual(await names(observer), []);
  const single = await connectClient(t, `${hub.url}/mcp/router`);
  assert.ok(!(await names(single)).includes('fetch_events'));

  hub.aggregator.setSwitches({ servers: new Set(), tools: new Set() });
  assert.deepEqual((await names(observer)).sort(), CHOSEN);
});
