// A 2026-07-28 tools/call to an in-process server is made in place (lib/mcp/direct-call.ts): no MCP client
// and server pair per call. The hub must answer it byte for byte as over a connection: the same fixture
// mounted as a stdio child (a real SDK client and server) is the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunningHub } from '../../hub/hub.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { modernRequest, requestAgentToken, startTestHub, stdioFixtureEntry } from './helpers.ts';

const call = (name: string, args: Record<string, unknown> = {}) => ({
  method: 'tools/call',
  params: { name, arguments: args },
});

/** How many calls the hub answered in place (without the SDK's per-request server). */
async function inPlaceCount(hub: RunningHub): Promise<number> {
  const { values } = await hub.metrics.callsServed.get();
  return values.find((value) => value.labels.path === 'in_place')?.value ?? 0;
}

/** A call through the hub, and whether it was answered in place. */
async function counted(hub: RunningHub, ...args: Parameters<typeof modernRequest>) {
  const before = await inPlaceCount(hub);
  const answer = await modernRequest(...args);
  return { ...answer, inPlace: (await inPlaceCount(hub)) - before === 1 };
}

/** The in-process fixture (`here`) and the same fixture as a stdio child (`wire`), behind one hub. */
function startBoth(t: Parameters<typeof startTestHub>[0], config: Record<string, unknown> = {}) {
  return startTestHub(
    t,
    { auth: { enabled: false }, mcpServers: { wire: stdioFixtureEntry('wire') }, ...config },
    { components: { here: () => Promise.resolve(createConformanceComponent()) } },
  );
}

test('a tool of an in-process server answers as over a connection: results, tool errors, invalid arguments', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, mcpServers: { wire: stdioFixtureEntry('wire') } },
    { components: { here: () => Promise.resolve(createConformanceComponent()) } },
  );
  const here = hub.aggregator.mounts.get('here')?.upstream;
  assert.equal(here?.connector.kind, 'in-process');
  assert.ok(here.connector.direct?.(), 'called in place');
  assert.equal(hub.aggregator.mounts.get('wire')?.upstream.connector.kind, 'stdio');

  const cases: [string, Record<string, unknown>][] = [
    ['test_simple_text', {}],
    ['test_image_content', {}],
    ['test_multiple_content_types', {}],
    ['test_error_handling', {}], // a tool error
    ['json_schema_2020_12_tool', { name: 5 }], // arguments the input schema refuses
    ['json_schema_2020_12_tool', { name: 'Ada', email: 'ada@example.org' }],
    ['fixture_stats', {}], // structured content
    ['update_watched', {}], // a zod-checked argument missing
  ];
  for (const [tool, args] of cases) {
    const direct = await counted(hub, hub.mcpUrl, call(`here__${tool}`, args));
    const wire = await counted(hub, hub.mcpUrl, call(`wire__${tool}`, args));
    assert.deepEqual([direct.inPlace, wire.inPlace], [true, false], tool);
    assert.equal(direct.status, wire.status, tool);
    assert.equal(direct.body, wire.body, `${tool} ${JSON.stringify(args)}`);
  }
  // On a server's own endpoint too, where the hub's view is the server itself.
  const own = await counted(hub, `${hub.mcpUrl}/here`, call('test_simple_text'));
  const ownWire = await counted(hub, `${hub.mcpUrl}/wire`, call('test_simple_text'));
  assert.deepEqual([own.inPlace, own.body], [true, ownWire.body]);
  // A first round asks the same (its state is the hub's own, signed afresh each time).
  const tool = (server: string) => call(`${server}__test_input_required_result_elicitation`);
  const options = { capabilities: { elicitation: {} } };
  const asked = await counted(hub, hub.mcpUrl, tool('here'), options);
  const askedWire = await modernRequest(hub.mcpUrl, tool('wire'), options);
  assert.ok(asked.inPlace);
  assert.equal(typeof asked.response.result?.['requestState'], 'string');
  const stateless = (body: string) => body.replace(/"requestState":"[^"]+"/, '"requestState":"…"');
  assert.equal(stateless(asked.body), stateless(askedWire.body));
  // What the tool may ask is what the hub declares for it (the hub answers for a client that cannot).
  for (const tool of [
    'test_input_required_result_capabilities',
    'test_input_required_result_sampling',
    'test_missing_capability',
  ]) {
    const direct = await counted(hub, hub.mcpUrl, call(`here__${tool}`));
    const wire = await modernRequest(hub.mcpUrl, call(`wire__${tool}`));
    assert.ok(direct.inPlace, tool);
    const same = stateless(direct.body).replaceAll("'here'", "'wire'");
    assert.deepEqual([direct.status, same], [wire.status, stateless(wire.body)], tool);
  }
  const unknown = await counted(hub, hub.mcpUrl, call('here__no_such_tool'));
  assert.deepEqual([unknown.inPlace, unknown.response.error?.code], [false, -32602]);
});

test('an in-process tool called in place streams the log messages the client asked for, as over a connection', async (t) => {
  const hub = await startBoth(t);
  for (const level of ['info', 'error', undefined]) {
    const meta = level ? { 'io.modelcontextprotocol/logLevel': level } : {};
    const direct = await counted(hub, hub.mcpUrl, call('here__test_tool_with_logging'), { meta });
    const wire = await counted(hub, hub.mcpUrl, call('wire__test_tool_with_logging'), { meta });
    assert.ok(direct.inPlace);
    assert.equal(direct.body, wire.body, String(level));
    const logs = direct.body.split('\n').filter((line) => line.includes('notifications/message'));
    assert.equal(logs.length, level === 'info' ? 3 : 0, String(level));
  }
  // Progress under the client's token: the same stream but for the hub's own token the tool echoes.
  const progress = ['here', 'wire'].map((server) =>
    counted(hub, hub.mcpUrl, call(`${server}__test_tool_with_progress`), { meta: { progressToken: 'p' } }),
  );
  const [direct, wire] = await Promise.all(progress);
  assert.ok(direct?.inPlace);
  const hubTokens = (body = '') => body.replace(/hub-progress-\d+/g, 'hub-progress-N');
  assert.equal(hubTokens(direct?.body), hubTokens(wire?.body));
  assert.match(String(direct?.body), /^event: message\ndata: /);
});

test('a tool whose schema declares Mcp-Param headers is left to the SDK path, which checks them', async (t) => {
  const hub = await startBoth(t);
  const args = { region: 'eu', level: 3 };
  for (const headers of [{ 'Mcp-Param-Region': 'eu' }, {}] as Record<string, string>[]) {
    const direct = await counted(hub, hub.mcpUrl, call('here__test_x_mcp_header', args), { headers });
    const wire = await counted(hub, hub.mcpUrl, call('wire__test_x_mcp_header', args), { headers });
    assert.deepEqual([direct.inPlace, direct.status], [false, wire.status]);
    assert.equal(direct.body, wire.body);
  }
});

test('a client gone mid-call cancels the in-place call: the tool is told through its signal', async (t) => {
  const hub = await startBoth(t);
  const before = await inPlaceCount(hub);
  const gone = new AbortController();
  const slow = modernRequest(hub.mcpUrl, call('here__slow', { ms: 120_000 }), { signal: gone.signal });
  void slow.catch(() => {});
  // The hub counts the call as it takes it; the tool is running by the time the socket's close arrives.
  while ((await inPlaceCount(hub)) === before) await new Promise((resolve) => setImmediate(resolve));
  gone.abort();
  let cancelled = 0;
  while (cancelled === 0) {
    const stats = await modernRequest(hub.mcpUrl, call('here__fixture_stats'));
    cancelled = (stats.response.result?.['structuredContent'] as { cancelled: number }).cancelled;
  }
  assert.equal(cancelled, 1);
});

test('an in-process tool called in place streams its progress and asks through rounds', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false } },
    { components: { here: () => Promise.resolve(createConformanceComponent()) } },
  );
  const progress = await counted(hub, hub.mcpUrl, call('here__test_tool_with_progress'), {
    meta: { progressToken: 'mine' },
  });
  assert.ok(progress.inPlace);
  // The tool reports under the hub's own token, as over a connection; the client hears its own.
  assert.match(
    String((progress.response.result?.['content'] as { text: string }[])[0]?.text),
    /^hub-progress-/,
  );
  const steps = progress.body
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)) as { method?: string; params?: Record<string, unknown> })
    .filter((message) => message.method === 'notifications/progress')
    .map((message) => [message.params?.['progressToken'], message.params?.['progress']]);
  assert.deepEqual(steps, [
    ['mine', 0],
    ['mine', 50],
    ['mine', 100],
  ]);

  // The first round is made in place; the retry carrying the answer goes over the connection (SDK path).
  const tool = 'here__test_input_required_result_elicitation';
  const asked = await modernRequest(hub.mcpUrl, call(tool), { capabilities: { elicitation: {} } });
  assert.equal(asked.response.result?.['resultType'], 'input_required');
  assert.deepEqual(Object.keys(asked.response.result?.['inputRequests'] as object), ['user_name']);
  const answered = await counted(
    hub,
    hub.mcpUrl,
    {
      method: 'tools/call',
      params: {
        ...call(tool).params,
        requestState: asked.response.result?.['requestState'],
        inputResponses: { user_name: { action: 'accept', content: { name: 'Ada' } } },
      },
    },
    { capabilities: { elicitation: {} } },
  );
  assert.deepEqual(answered.response.result?.['content'], [{ type: 'text', text: 'Hello, Ada!' }]);
  assert.equal(answered.inPlace, false);
});

test('an in-process tool called in place is given up after the request timeout, and told through its signal', async (t) => {
  const hub = await startBoth(t, { pool: { requestTimeoutSeconds: 2 } });
  const [slow, wire] = await Promise.all([
    counted(hub, hub.mcpUrl, call('here__slow', { ms: 120_000 })),
    modernRequest(hub.mcpUrl, call('wire__slow', { ms: 120_000 })),
  ]);
  assert.ok(slow.inPlace);
  assert.match(JSON.stringify(slow.response.error), /timed out/i);
  assert.deepEqual([slow.status, slow.body], [wire.status, wire.body]);
  const stats = await modernRequest(hub.mcpUrl, call('here__fixture_stats'));
  assert.equal((stats.response.result?.['structuredContent'] as { cancelled: number }).cancelled, 1);
});

test('a caller without the scope of an in-process tool is refused before any call is made, as for any tool', async (t) => {
  const hub = await startBoth(t, { auth: { enabled: true }, servers: { identity: {} } });
  const issued = await requestAgentToken(hub.url, generateIdentityKeys(), 'read');
  const reader = ((await issued.json()) as { access_token: string }).access_token;
  for (const server of ['here', 'wire']) {
    const refused = await counted(hub, hub.mcpUrl, call(`${server}__slow_write`, { ms: 1 }), {
      token: reader,
    });
    assert.deepEqual(
      [refused.inPlace, refused.status, refused.response.error?.data],
      [false, 403, { code: 'insufficient_scope', scope: 'write' }],
      server,
    );
  }
  const operator = hub.operatorToken ?? undefined;
  const allowed = await counted(hub, hub.mcpUrl, call('here__slow_write', { ms: 1 }), { token: operator });
  assert.deepEqual(
    [allowed.inPlace, allowed.response.result?.['content']],
    [true, [{ type: 'text', text: 'done' }]],
  );
});
