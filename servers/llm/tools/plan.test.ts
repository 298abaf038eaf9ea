import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { errorCode, errorOf, ok, startLlm } from '../testing.ts';

const tools = [
  {
    name: 'search_web',
    description: 'search the web',
    input_schema: { type: 'object', required: ['query'], properties: { query: { type: 'string' } } },
  },
  {
    name: 'write_file',
    description: 'write a file',
    input_schema: { type: 'object', required: ['path', 'text'] },
  },
];

const goodPlan = {
  rationale: 'search then save',
  steps: [
    { id: 's1', tool: 'search_web', arguments: { query: 'mcp spec' }, description: 'find the spec' },
    {
      id: 's2',
      tool: 'write_file',
      arguments: { path: 'spec.md', text: '$s1' },
      description: 'save it',
      depends_on: ['s1'],
    },
  ],
};

interface PlanOut {
  steps: Array<{ id: string; tool: string; depends_on: string[] }>;
  rationale?: string;
  rejected: string[];
  deployment: string;
}

test('plan asks for a structured plan with the tools and returns it validated', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.chat.enqueue({ content: JSON.stringify(goodPlan) });
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const out = ok<PlanOut>(
    await client.callTool({ name: 'plan', arguments: { goal: 'save the MCP spec', tools } }),
  );
  assert.deepEqual(
    out.steps.map((s) => [s.id, s.tool, s.depends_on]),
    [
      ['s1', 'search_web', []],
      ['s2', 'write_file', ['s1']],
    ],
  );
  assert.equal(out.rationale, 'search then save');
  assert.deepEqual(out.rejected, []);
  const body = ollama.requestsTo('/api/chat')[0]?.body as {
    format: { properties: { steps: { items: { properties: { tool: { enum: string[] } } } } } };
    messages: Array<{ content: string }>;
    options: { temperature: number };
  };
  assert.deepEqual(body.format.properties.steps.items.properties.tool.enum, ['search_web', 'write_file']);
  assert.match(body.messages[0]?.content ?? '', /search_web: search the web/);
  assert.equal(body.options.temperature, 0);
});

test('an invalid plan is sent back with its problems and retried, then reported', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const { client } = await startLlm(t, { ollama_host: ollama.url });

  const unknownDependency = {
    steps: [
      { id: 's1', tool: 'search_web', arguments: { query: 'x' }, description: 'd', depends_on: ['s0'] },
    ],
  };
  ollama.script.chat.enqueue(
    { content: JSON.stringify(unknownDependency) },
    { content: JSON.stringify(goodPlan) },
  );
  const out = ok<PlanOut>(await client.callTool({ name: 'plan', arguments: { goal: 'g', tools } }));
  assert.equal(out.steps.length, 2);
  assert.match(out.rejected[0] ?? '', /depends_on 's0' is not an earlier step/);
  const retry = ollama.requestsTo('/api/chat')[1]?.body as {
    messages: Array<{ role: string; content: string }>;
  };
  assert.match(retry.messages.at(-1)?.content ?? '', /s0/);

  const badArguments = { steps: [{ id: 's1', tool: 'search_web', arguments: {}, description: 'd' }] };
  const unknownTool = { steps: [{ id: 's1', tool: 'rm_rf', arguments: {}, description: 'd' }] };
  ollama.script.chat.enqueue(
    { content: JSON.stringify(badArguments) },
    { content: JSON.stringify(unknownTool) },
  );
  const failed = await client.callTool({ name: 'plan', arguments: { goal: 'g', tools } });
  assert.equal(errorCode(failed), 'invalid_structured_output');
  const message = errorOf(failed).message;
  assert.match(message, /arguments for search_web.*query/);
  assert.match(message, /allowed values/);
});

test('plan input errors name the field', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const duplicate = errorOf(
    await client.callTool({ name: 'plan', arguments: { goal: 'g', tools: [tools[0], tools[0]] } }),
  );
  assert.match(duplicate.message, /tools\.1\.name: duplicate tool 'search_web'/);
  const schema = errorOf(
    await client.callTool({
      name: 'plan',
      arguments: { goal: 'g', tools: [{ name: 'x', input_schema: { type: 'nonsense' } }] },
    }),
  );
  assert.match(schema.message, /tools\.0\.input_schema/);
  assert.equal(ollama.requestsTo('/api/chat').length, 0);
});
