// A 2026-07-28 tools/call to an in-process server is made in place (lib/mcp/direct-call.ts): no MCP client
// and server pair per call. The hub must answer it byte for byte as over a connection: the same fixture
// mounted as a stdio child (a real SDK client and server) is the reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { modernRequest, startTestHub, stdioFixtureEntry } from './helpers.ts';

const call = (name: string, args: Record<string, unknown> = {}) => ({
  method: 'tools/call',
  params: { name, arguments: args },
});

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
    const direct = await modernRequest(hub.mcpUrl, call(`here__${tool}`, args));
    const wire = await modernRequest(hub.mcpUrl, call(`wire__${tool}`, args));
    assert.equal(direct.status, wire.status, tool);
    assert.equal(direct.body, wire.body, `${tool} ${JSON.stringify(args)}`);
  }
  // A first round asks the same (its state is the hub's own, signed afresh each time).
  const rounds = ['here', 'wire'].map((server) =>
    modernRequest(hub.mcpUrl, call(`${server}__test_input_required_result_elicitation`), {
      capabilities: { elicitation: {} },
    }),
  );
  const [direct, wire] = (await Promise.all(rounds)).map((asked) => {
    const { requestState, ...rest } = asked.response.result ?? {};
    assert.equal(typeof requestState, 'string');
    return rest;
  });
  assert.deepEqual(direct, wire);
  const unknown = await modernRequest(hub.mcpUrl, call('here__no_such_tool'));
  assert.equal(unknown.response.error?.code, -32602);
});

test('an in-process tool called in place streams its progress and asks through rounds', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false } },
    { components: { here: () => Promise.resolve(createConformanceComponent()) } },
  );
  const progress = await modernRequest(hub.mcpUrl, call('here__test_tool_with_progress'), {
    meta: { progressToken: 'mine' },
  });
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

  // The first round is made in place; the retry carrying the answer goes over the connection.
  const tool = 'here__test_input_required_result_elicitation';
  const asked = await modernRequest(hub.mcpUrl, call(tool), { capabilities: { elicitation: {} } });
  assert.equal(asked.response.result?.['resultType'], 'input_required');
  assert.deepEqual(Object.keys(asked.response.result?.['inputRequests'] as object), ['user_name']);
  const answered = await modernRequest(
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
});

test('an in-process tool called in place is given up after the request timeout, and told through its signal', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, pool: { requestTimeoutSeconds: 2 } },
    { components: { here: () => Promise.resolve(createConformanceComponent()) } },
  );
  const slow = await modernRequest(hub.mcpUrl, call('here__slow', { ms: 120_000 }));
  assert.match(JSON.stringify(slow.response.error), /timed out/i);
  const stats = await modernRequest(hub.mcpUrl, call('here__fixture_stats'));
  assert.equal((stats.response.result?.['structuredContent'] as { cancelled: number }).cancelled, 1);
});
