// The byte relay: a 2026-07-28 tools/call to a URL-mounted 2026-07-28 upstream goes there as the client sent
// it (its progress token too, where the SDK path puts one of the hub's own), with the gateway's checks and
// the hub's rewrites (tool name, caller) applied; everything else stays on the SDK path.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { McpServer as V1Server } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as V1ServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CALLER_META_KEY } from '../../lib/mcp/caller.ts';
import { silentLogger } from '../../lib/log.ts';
import { closeServer, listen, serveHttp, type HttpServing } from '../../lib/mcp/serve-http.ts';
import { component as llmComponent } from '../../servers/llm/component.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { startOllamaServer } from '../fixtures/ollama-server.ts';
import { freePort } from '../helpers/ports.ts';
import { modernRequest, startTestHub } from './helpers.ts';

const call = (name: string, args: Record<string, unknown> = {}) => ({
  method: 'tools/call',
  params: { name, arguments: args },
});

/** The text of a tool result's first content item. */
function textOf(result: Record<string, unknown> | undefined): string | undefined {
  return (result?.['content'] as { text?: string }[] | undefined)?.[0]?.text;
}

async function fixtureAt(t: TestContext, port = 0): Promise<HttpServing> {
  const fixture = await serveHttp(createConformanceComponent(), {
    verifyToken: null,
    log: silentLogger,
    port,
  });
  t.after(() => fixture.close());
  return fixture;
}

test('a call to a 2026-07-28 URL upstream is relayed: progress streamed through, caller vouched for, errors passed on', async (t) => {
  const fixture = await fixtureAt(t);
  const hub = await startTestHub(t, { servers: { identity: {} }, mcpServers: { fix: { url: fixture.url } } });
  const token = hub.operatorToken ?? undefined;
  assert.ok(token);
  assert.equal(hub.aggregator.mounts.get('fix')?.upstream.relayable, true);

  // The upstream's SSE answer comes through event by event, under the client's own progress token.
  const progress = await modernRequest(hub.mcpUrl, call('fix__test_tool_with_progress'), {
    token,
    meta: { progressToken: 'client-7' },
  });
  assert.equal(progress.status, 200);
  assert.equal(textOf(progress.response.result), 'client-7');
  const events = progress.body.split('\n').filter((line) => line.startsWith('data:'));
  const steps = events
    .map((line) => JSON.parse(line.slice(5)) as { method?: string; params?: Record<string, unknown> })
    .filter((message) => message.method === 'notifications/progress')
    .map((message) => [message.params?.['progressToken'], message.params?.['progress']]);
  assert.deepEqual(steps, [
    ['client-7', 0],
    ['client-7', 50],
    ['client-7', 100],
  ]);

  // The caller is the token's, whatever the client claims in _meta; the single-server view relays too.
  for (const [url, name] of [
    [hub.mcpUrl, 'fix__whoami'],
    [`${hub.mcpUrl}/fix`, 'whoami'],
  ] as const) {
    const who = await modernRequest(url, call(name), {
      token,
      meta: { [CALLER_META_KEY]: { subject: 'did:key:zSpoofed', scopes: ['admin'] } },
    });
    assert.equal(
      (who.response.result?.['structuredContent'] as { subject: string }).subject,
      'operator:local',
      url,
    );
  }

  // A tool error, and a JSON-RPC error of the upstream's (a question the client cannot answer), as they came.
  const failed = await modernRequest(hub.mcpUrl, call('fix__test_error_handling'), { token });
  assert.equal(failed.response.result?.['isError'], true);
  const refused = await modernRequest(hub.mcpUrl, call('fix__test_missing_capability'), { token });
  const direct = await modernRequest(fixture.url, call('test_missing_capability'));
  assert.equal(refused.response.error?.code, direct.response.error?.code);
  assert.deepEqual(refused.response.error?.data, direct.response.error?.data);

  // A question the client can answer comes back as an input_required round in the hub's own state, which
  // brings the client's answer on to the upstream.
  const asked = await modernRequest(hub.mcpUrl, call('fix__test_missing_capability'), {
    token,
    capabilities: { sampling: {} },
  });
  assert.equal(asked.response.result?.['resultType'], 'input_required');
  const answered = await modernRequest(
    hub.mcpUrl,
    {
      method: 'tools/call',
      params: {
        ...call('fix__test_missing_capability').params,
        requestState: asked.response.result?.['requestState'],
        inputResponses: {
          pong: { role: 'assistant', model: 'm', content: { type: 'text', text: 'pong' } },
        },
      },
    },
    { token, capabilities: { sampling: {} } },
  );
  assert.equal(textOf(answered.response.result), 'sampling round trip complete');

  const metrics = await (
    await fetch(`${hub.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })
  ).text();
  assert.match(
    metrics,
    /plexus_mcp_requests_total\{[^}]*tool="test_error_handling"[^}]*outcome="tool_error"/,
  );
  assert.match(metrics, /plexus_mcp_requests_total\{[^}]*tool="test_missing_capability"[^}]*outcome="error"/);
});

test('a client that cannot sample is relayed too, the sampling its call needs answered by the llm server', async (t) => {
  const fixture = await fixtureAt(t);
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const hub = await startTestHub(
    t,
    {
      servers: { identity: {}, llm: { settings: { ollama_host: ollama.url } } },
      mcpServers: { fix: { url: fixture.url } },
    },
    { components: { llm: llmComponent } },
  );
  const token = hub.operatorToken ?? undefined;
  assert.ok(token);
  assert.ok(hub.aggregator.sampler, 'the hub answers sampling');

  // Relayed: the upstream's progress comes under the client's own token, not one of the hub's.
  const relayed = await modernRequest(hub.mcpUrl, call('fix__test_tool_with_progress'), {
    token,
    meta: { progressToken: 'no-sampling' },
  });
  assert.equal(textOf(relayed.response.result), 'no-sampling');

  // The upstream's sampling question (asked because the hub declares sampling for this client) is answered
  // by the llm server and the call sent on with the answer: the client gets the tool's result in one round.
  const sampled = await modernRequest(hub.mcpUrl, call('fix__test_sampling', { prompt: 'ping' }), { token });
  assert.equal(textOf(sampled.response.result), 'LLM response: echo: ping');
  // Streamed: the first round's progress, then the second round's and the result, on one stream.
  const streamed = await modernRequest(hub.mcpUrl, call('fix__sample_with_progress', { prompt: 'pong' }), {
    token,
    meta: { progressToken: 'rounds' },
  });
  assert.equal(textOf(streamed.response.result), 'sampled: echo: pong');
  const messages = streamed.body
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)) as { method?: string; params?: Record<string, unknown> });
  assert.deepEqual(
    messages.map((message) => message.method ?? 'response'),
    ['notifications/progress', 'notifications/progress', 'response'],
  );
  assert.deepEqual(
    messages.slice(0, 2).map((message) => [message.params?.['progressToken'], message.params?.['progress']]),
    [
      ['rounds', 0],
      ['rounds', 1],
    ],
  );
  assert.equal(ollama.requestsTo('/api/chat').length, 2);

  // A question the client can answer still goes back to it; the ones it cannot are answered by the hub and
  // kept in the hub's state, which the client's next round brings back (the SDK path then sends both on).
  const mixed = await modernRequest(hub.mcpUrl, call('fix__test_input_required_result_multiple_inputs'), {
    token,
    capabilities: { elicitation: {}, roots: {} },
  });
  const asked = mixed.response.result;
  assert.equal(asked?.['resultType'], 'input_required');
  assert.deepEqual(Object.keys(asked?.['inputRequests'] as object).sort(), ['client_roots', 'user_name']);
  assert.equal(ollama.requestsTo('/api/chat').length, 3, 'the greeting was sampled by the hub');
  const done = await modernRequest(
    hub.mcpUrl,
    {
      method: 'tools/call',
      params: {
        ...call('fix__test_input_required_result_multiple_inputs').params,
        requestState: asked?.['requestState'],
        inputResponses: {
          user_name: { action: 'accept', content: { name: 'Ada' } },
          client_roots: { roots: [{ uri: 'file:///tmp' }] },
        },
      },
    },
    { token, capabilities: { elicitation: {}, roots: {} } },
  );
  assert.match(String(textOf(done.response.result)), /^echo: Generate a greeting Ada: 1 root\(s\) visible$/);

  const metrics = await (
    await fetch(`${hub.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })
  ).text();
  assert.match(metrics, /plexus_mcp_requests_total\{[^}]*tool="sample_with_progress"[^}]*outcome="ok"\} 1/);
});

test('the relay keeps the gateway: the token, switched-off tools and servers, virtual servers, body size', async (t) => {
  const fixture = await fixtureAt(t);
  const hub = await startTestHub(t, {
    servers: { identity: {} },
    mcpServers: { fix: { url: fixture.url } },
    limits: { bodyBytes: 4096 },
  });
  const token = hub.operatorToken ?? undefined;
  assert.ok(token);

  const big = await modernRequest(hub.mcpUrl, call('fix__whoami', { pad: 'x'.repeat(8192) }), { token });
  assert.equal(big.status, 413);
  const anonymous = await modernRequest(hub.mcpUrl, call('fix__whoami'));
  assert.equal(anonymous.status, 401);

  hub.aggregator.setSwitches({ servers: new Set(), tools: new Set(['fix__whoami']) });
  const off = await modernRequest(hub.mcpUrl, call('fix__whoami'), { token });
  assert.equal(off.response.error?.code, -32602, 'a switched-off tool is unknown');
  const on = await modernRequest(hub.mcpUrl, call('fix__test_simple_text'), { token });
  assert.equal(textOf(on.response.result), 'This is a simple text response for testing.');
  hub.aggregator.setSwitches({ servers: new Set(['fix']), tools: new Set() });
  const serverOff = await modernRequest(hub.mcpUrl, call('fix__test_simple_text'), { token });
  assert.equal(serverOff.response.error?.code, -32602, 'a switched-off server has no tools');
  hub.aggregator.setSwitches({ servers: new Set(), tools: new Set() });

  hub.aggregator.setVirtualServers(new Map([['picked', new Set(['fix__test_tool_with_progress'])]]));
  const picked = await modernRequest(`${hub.mcpUrl}/v/picked`, call('fix__test_tool_with_progress'), {
    token,
    meta: { progressToken: 'v-1' },
  });
  assert.equal(textOf(picked.response.result), 'v-1', 'relayed from a virtual server');
  const notPicked = await modernRequest(`${hub.mcpUrl}/v/picked`, call('fix__test_simple_text'), { token });
  assert.equal(notPicked.response.error?.code, -32602);
});

test('a relayed call finds a restarted upstream on the same URL', async (t) => {
  const port = await freePort();
  let fixture = await serveHttp(createConformanceComponent(), { verifyToken: null, log: silentLogger, port });
  t.after(() => fixture.close());
  const hub = await startTestHub(t, {
    auth: { enabled: false },
    pool: { backoffInitialMs: 50 },
    mcpServers: { fix: { url: fixture.url } },
  });
  const before = await modernRequest(hub.mcpUrl, call('fix__test_simple_text'));
  assert.equal(textOf(before.response.result), 'This is a simple text response for testing.');

  await fixture.close();
  fixture = await serveHttp(createConformanceComponent(), { verifyToken: null, log: silentLogger, port });
  const after = await modernRequest(hub.mcpUrl, call('fix__test_tool_with_progress'), {
    meta: { progressToken: 'again' },
  });
  assert.equal(textOf(after.response.result), 'again', 'relayed to the new process');

  await fixture.close();
  const down = await modernRequest(hub.mcpUrl, call('fix__test_simple_text'));
  assert.match(JSON.stringify(down.response.error), /upstream 'fix' is unavailable/);
});

/** A 2025-era upstream over streamable HTTP (SDK v1, stateless): its tool says which progress token came. */
async function legacyUpstream(t: TestContext): Promise<string> {
  const server = await listen(
    (req, res) => {
      const mcp = new V1Server({ name: 'legacy-upstream', version: '1.0.0' });
      mcp.registerTool('token', { description: 'The progress token the call came with' }, (extra) => ({
        content: [{ type: 'text', text: String(extra._meta?.progressToken) }],
      }));
      const transport = new V1ServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      void mcp.connect(transport).then(() => transport.handleRequest(req, res));
    },
    '127.0.0.1',
    0,
  );
  t.after(() => closeServer(server));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

test('a 2025-era URL upstream stays on the SDK path', async (t) => {
  const url = await legacyUpstream(t);
  const hub = await startTestHub(t, { auth: { enabled: false }, mcpServers: { old: { url } } });
  const upstream = hub.aggregator.mounts.get('old')?.upstream;
  assert.equal(upstream?.era, 'legacy');
  assert.equal(upstream?.relayable, false);
  const answer = await modernRequest(hub.mcpUrl, call('old__token'), { meta: { progressToken: 'mine' } });
  assert.match(String(textOf(answer.response.result)), /^hub-progress-/, 'the hub made the call itself');
});
