import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client, LoggingMessageNotification, NotificationMethod } from '@modelcontextprotocol/client';
import { component } from '../../servers/llm/component.ts';
import { startOllamaServer } from '../fixtures/ollama-server.ts';
import { connectClient, fixtureFactory, startTestHub, stdioFixtureEntry } from './helpers.ts';

/** Resolves with the next `method` notification on `client`. */
function next<T>(client: Client, method: NotificationMethod): Promise<T> {
  return new Promise((resolve) => {
    client.setNotificationHandler(method, (notification) => resolve(notification as T));
  });
}

test('sampling, elicitation and roots requests reach the client whose call caused them', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, mcpServers: { kid: stdioFixtureEntry() } },
    { components: { fix: fixtureFactory } },
  );
  const capable = await connectClient(t, hub.mcpUrl, {
    capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
  });
  const plain = await connectClient(t, hub.mcpUrl);
  const seen: string[] = [];
  capable.setRequestHandler('sampling/createMessage', (request) => {
    seen.push(`sampling:${JSON.stringify(request.params.messages[0]?.content)}`);
    return {
      role: 'assistant',
      content: { type: 'text', text: 'forty-two' },
      model: 'test-model',
      stopReason: 'endTurn',
    };
  });
  capable.setRequestHandler('elicitation/create', (request) => {
    seen.push(`elicit:${request.params.message}`);
    return { action: 'accept', content: { response: 'yes' } };
  });
  capable.setRequestHandler('roots/list', () => ({
    roots: [{ uri: 'file:///work', name: 'work' }],
  }));

  for (const server of ['kid', 'fix']) {
    const sampled = await capable.callTool({
      name: `${server}__test_sampling`,
      arguments: { prompt: 'meaning?' },
    });
    assert.deepEqual(sampled.content, [{ type: 'text', text: 'LLM response: forty-two' }]);
    const elicited = await capable.callTool({
      name: `${server}__test_elicitation`,
      arguments: { message: 'ok?' },
    });
    assert.deepEqual(elicited.content, [
      { type: 'text', text: 'User response: action=accept, content={"response":"yes"}' },
    ]);
    const roots = await capable.callTool({ name: `${server}__list_client_roots`, arguments: {} });
    assert.deepEqual(roots.structuredContent, { roots: [{ uri: 'file:///work', name: 'work' }] });
  }
  assert.deepEqual(seen, [
    'sampling:{"type":"text","text":"meaning?"}',
    'elicit:ok?',
    'sampling:{"type":"text","text":"meaning?"}',
    'elicit:ok?',
  ]);

  // A client without sampling (and no llm server mounted) gets a clear refusal, not someone else's answer:
  // the fixture's call fails as a tool error naming why its input could not be had.
  const unsampled = await plain.callTool({ name: 'kid__test_sampling', arguments: { prompt: 'x' } });
  assert.equal(unsampled.isError, true);
  assert.match(JSON.stringify(unsampled.content), /client does not support it and no llm server is mounted/);
  const noElicit = await plain.callTool({ name: 'fix__test_elicitation', arguments: { message: 'x' } });
  assert.match(JSON.stringify(noElicit.content), /does not support it/);
});

test('progress, logging, list_changed and resource updates go to the right client sessions', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, mcpServers: { kid: stdioFixtureEntry() } },
    { components: { fix: fixtureFactory } },
  );
  const a = await connectClient(t, hub.mcpUrl);
  const b = await connectClient(t, hub.mcpUrl);
  const single = await connectClient(t, `${hub.mcpUrl}/kid`);

  // Progress: the client's own token comes back on each notification. The handler is our own rather than
  // the SDK's onprogress, which drops a notification that arrives in the same read as the response.
  const progress: number[] = [];
  a.setNotificationHandler('notifications/progress', (n) => {
    if (n.params.progressToken === 'progress-a') progress.push(n.params.progress);
  });
  const result = await a.callTool({
    name: 'kid__test_tool_with_progress',
    arguments: {},
    _meta: { progressToken: 'progress-a' },
  });
  assert.deepEqual(progress, [0, 50, 100]);
  assert.equal(result.isError, undefined);

  // Logging during a call reaches only the caller.
  const logsA: LoggingMessageNotification['params'][] = [];
  const logsB: LoggingMessageNotification['params'][] = [];
  a.setNotificationHandler('notifications/message', (n) => void logsA.push(n.params));
  b.setNotificationHandler('notifications/message', (n) => void logsB.push(n.params));
  await a.callTool({ name: 'fix__test_tool_with_logging', arguments: {} });
  assert.deepEqual(
    logsA.map((l) => l.data),
    ['Tool execution started', 'Tool processing data', 'Tool execution completed'],
  );
  await b.ping();
  assert.deepEqual(logsB, []);

  // Resource updates fan out by URI to the sessions subscribed to it, through one upstream subscription.
  await a.subscribeResource({ uri: 'kid://watched-resource' });
  await single.subscribeResource({ uri: 'kid://watched-resource' });
  const updatedA = next<{ params: { uri: string } }>(a, 'notifications/resources/updated');
  const updatedSingle = next<{ params: { uri: string } }>(single, 'notifications/resources/updated');
  let bUpdated = false;
  b.setNotificationHandler('notifications/resources/updated', () => {
    bUpdated = true;
  });
  await b.callTool({ name: 'kid__update_watched', arguments: { content: 'v2' } });
  assert.equal((await updatedA).params.uri, 'kid://watched-resource');
  assert.equal((await updatedSingle).params.uri, 'kid://watched-resource');
  const read = await b.readResource({ uri: 'kid://watched-resource' });
  assert.equal((read.contents[0] as { text: string }).text, 'v2');
  await a.unsubscribeResource({ uri: 'kid://watched-resource' });
  await b.ping();
  assert.equal(bUpdated, false);

  // list_changed: the hub relists and tells every session viewing that server.
  const changedA = next(a, 'notifications/tools/list_changed');
  const changedB = next(b, 'notifications/tools/list_changed');
  await b.callTool({ name: 'fix__add_tool', arguments: {} });
  await Promise.all([changedA, changedB]);
  const names = (await a.listTools()).tools.map((tool) => tool.name);
  assert.ok(names.includes('fix__extra_tool_1'));
  const extra = await a.callTool({ name: 'fix__extra_tool_1', arguments: {} });
  assert.deepEqual(extra.content, [{ type: 'text', text: 'extra 1' }]);
});

test('a cancelled call is cancelled upstream and the session stays usable', async (t) => {
  const hub = await startTestHub(t, { auth: { enabled: false } }, { components: { fix: fixtureFactory } });
  const client = await connectClient(t, hub.mcpUrl);
  const controller = new AbortController();
  const call = client.callTool(
    { name: 'fix__slow', arguments: { ms: 30_000 } },
    {
      signal: controller.signal,
    },
  );
  setTimeout(() => controller.abort('changed my mind'), 100);
  await assert.rejects(call, /changed my mind|abort/i);
  const quick = await client.callTool({ name: 'fix__slow', arguments: { ms: 1 } });
  assert.deepEqual(quick.content, [{ type: 'text', text: 'done' }]);
  const stats = await client.callTool({ name: 'fix__fixture_stats', arguments: {} });
  assert.equal((stats.structuredContent as { cancelled: number }).cancelled, 1);
});

test('sampling for a client that cannot sample is answered by the llm server', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, servers: { llm: { settings: { ollama_host: ollama.url } } } },
    { components: { fix: fixtureFactory, llm: component } },
  );
  const plain = await connectClient(t, hub.mcpUrl);
  const result = await plain.callTool({ name: 'fix__test_sampling', arguments: { prompt: 'ping' } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'LLM response: echo: ping' }]);
  const asked = ollama.requestsTo('/api/chat');
  assert.equal(asked.length, 1);
});
