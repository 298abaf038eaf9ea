import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { startOpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { errorCode, errorOf, ok, startLlm } from '../testing.ts';

interface ChatOut {
  content: string;
  tool_calls: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  structured?: unknown;
  deployment: string;
  backend: string;
  model: string;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  finish_reason: string;
  attempts: Array<{ deployment: string; ok: boolean; failure?: string }>;
}

test('chat answers through Ollama and reports deployment, latency and tokens', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.chat.enqueue({ content: 'Hello there', promptTokens: 12, completionTokens: 3 });
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const out = ok<ChatOut>(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, max_tokens: 50 },
    }),
  );
  assert.equal(out.content, 'Hello there');
  assert.equal(out.deployment, 'ollama-chat');
  assert.equal(out.backend, 'ollama');
  assert.equal(out.model, 'llama3.2');
  assert.equal(out.prompt_tokens, 12);
  assert.equal(out.completion_tokens, 3);
  assert.ok(out.latency_ms >= 0 && out.ttft_ms !== null);
  const [request] = ollama.requestsTo('/api/chat');
  const body = request?.body as { model: string; stream: boolean; options: Record<string, unknown> };
  assert.equal(body.model, 'llama3.2');
  assert.equal(body.stream, true);
  assert.deepEqual(body.options, { temperature: 0.2, num_predict: 50 });
});

test('chat passes tools to Ollama and returns its tool calls', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.chat.enqueue({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const out = ok<ChatOut>(
    await client.callTool({
      name: 'chat',
      arguments: {
        messages: [{ role: 'user', content: 'weather in Paris?' }],
        tools: [
          {
            name: 'get_weather',
            description: 'weather',
            input_schema: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
    }),
  );
  assert.deepEqual(
    out.tool_calls.map((c) => [c.name, c.arguments]),
    [['get_weather', { city: 'Paris' }]],
  );
  assert.equal(out.finish_reason, 'tool_calls');
  const body = ollama.requestsTo('/api/chat')[0]?.body as { tools: Array<{ function: { name: string } }> };
  assert.equal(body.tools[0]?.function.name, 'get_weather');
});

test('chat through an OpenAI-compatible server: SSE text, tool calls split across deltas, usage, api key', async (t) => {
  const openai = await startOpenAiServer({ apiKey: 'sk-test' });
  t.after(() => openai.close());
  openai.script.chat.enqueue(
    { content: 'streamed answer', promptTokens: 7, completionTokens: 2 },
    { toolCalls: [{ name: 'search', arguments: { query: 'plexus', limit: 3 } }] },
  );
  const { client } = await startLlm(t, {
    deployments: [{ id: 'oa', backend: 'openai', url: openai.url, model: 'gpt-fixture', api_key: 'sk-test' }],
  });
  const first = ok<ChatOut>(
    await client.callTool({ name: 'chat', arguments: { messages: [{ role: 'user', content: 'hi' }] } }),
  );
  assert.equal(first.content, 'streamed answer');
  assert.equal(first.deployment, 'oa');
  assert.equal(first.prompt_tokens, 7);
  assert.equal(first.completion_tokens, 2);
  const second = ok<ChatOut>(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'find' }], tools: [{ name: 'search' }] },
    }),
  );
  assert.deepEqual(
    second.tool_calls.map((c) => [c.name, c.arguments]),
    [['search', { query: 'plexus', limit: 3 }]],
  );
  assert.equal(openai.requestsTo('/v1/chat/completions')[0]?.headers.authorization, 'Bearer sk-test');
});

test('structured output is validated; an invalid answer is retried with the problems, then reported', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const schema = {
    type: 'object',
    required: ['city', 'temp'],
    properties: { city: { type: 'string' }, temp: { type: 'number' } },
  };
  const { client } = await startLlm(t, { ollama_host: ollama.url });

  ollama.script.chat.enqueue(
    { content: '{"city": "Paris"}' },
    { content: '```json\n{"city": "Paris", "temp": 21}\n```' },
  );
  const out = ok<ChatOut>(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'weather' }], response_format: { schema } },
    }),
  );
  assert.deepEqual(out.structured, { city: 'Paris', temp: 21 });
  const requests = ollama.requestsTo('/api/chat');
  assert.deepEqual((requests[0]?.body as { format: unknown }).format, schema);
  const retry = (requests[1]?.body as { messages: Array<{ role: string; content: string }> }).messages;
  assert.match(retry.at(-1)?.content ?? '', /temp/);

  ollama.script.chat.enqueue({ content: 'not json' }, { content: '{"city": 3}' });
  const failed = await client.callTool({
    name: 'chat',
    arguments: { messages: [{ role: 'user', content: 'weather' }], response_format: { schema } },
  });
  assert.equal(errorCode(failed), 'invalid_structured_output');

  const bad = errorOf(
    await client.callTool({
      name: 'chat',
      arguments: {
        messages: [{ role: 'user', content: 'x' }],
        response_format: { schema: { type: 'no-such-type' } },
      },
    }),
  );
  assert.equal(bad.code, 'invalid_input');
  assert.equal(bad.field, 'response_format.schema');
});

test('streaming text reaches an SDK client as progress notifications when it sends a progress token', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.chat.enqueue({ chunks: ['The ', 'quick ', 'brown ', 'fox'], chunkDelayMs: 1 });
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const seen: Array<{ progress: number; message?: string }> = [];
  const result = await client.callTool(
    { name: 'chat', arguments: { messages: [{ role: 'user', content: 'story' }] } },
    {
      onprogress: (p) =>
        seen.push({ progress: p.progress, ...(p.message !== undefined ? { message: p.message } : {}) }),
    },
  );
  assert.equal(ok<ChatOut>(result).content, 'The quick brown fox');
  assert.deepEqual(
    seen.map((p) => p.message),
    ['The ', 'quick ', 'brown ', 'fox'],
  );
  assert.deepEqual(
    seen.map((p) => p.progress),
    [4, 10, 16, 19],
  );
});

test('offline: the error names every backend tried and how to start Ollama', async (t) => {
  const ollama = await startOllamaServer();
  const deadUrl = ollama.url;
  await ollama.close();
  const { client } = await startLlm(t, { ollama_host: deadUrl, retries: { max_retries: 1 } });
  const result = await client.callTool({
    name: 'chat',
    arguments: { messages: [{ role: 'user', content: 'hi' }] },
  });
  assert.equal(errorCode(result), 'llm_unavailable');
  const error = errorOf(result);
  assert.match(
    error.message,
    new RegExp(`ollama-chat \\(ollama llama3\\.2 at ${deadUrl.replace(/\./g, '\\.')}\\)`),
  );
  // The retry failed the same way: said once, with its count.
  assert.match(error.message, /\(2 attempts\)$/);
  assert.equal(error.message.split('ollama-chat').length, 2);
  assert.match(error.hint ?? '', /ollama serve/);
});

test('unknown task and model are input errors naming the field', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const task = errorOf(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'x' }], task: 'poetry' },
    }),
  );
  assert.deepEqual([task.code, task.field], ['unknown_task', 'task']);
  assert.match(task.message, /task: unknown task type 'poetry'/);
  const model = errorOf(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'x' }], model: 'gpt-99' },
    }),
  );
  assert.deepEqual([model.code, model.field], ['unknown_model', 'model']);
  assert.match(model.message, /model: no chat deployment or group named 'gpt-99'/);
});

test('a stream that breaks mid-answer falls back, and the progress listener is told the answer restarts', async (t) => {
  const [a, b] = [await startOllamaServer(), await startOllamaServer()];
  t.after(() => a.close());
  t.after(() => b.close());
  a.script.chat.enqueue({ chunks: ['Half ', 'an ', 'answer'], breakAfterChunks: 2 });
  b.script.chat.enqueue({ chunks: ['Whole ', 'answer'] });
  const { client } = await startLlm(t, {
    deployments: [
      { id: 'a', backend: 'ollama', url: a.url, model: 'llama3.2' },
      { id: 'b', backend: 'ollama', url: b.url, model: 'llama3.2' },
    ],
  });
  const messages: string[] = [];
  const progress: number[] = [];
  const out = ok<ChatOut>(
    await client.callTool(
      { name: 'chat', arguments: { messages: [{ role: 'user', content: 'x' }] } },
      {
        onprogress: (p) => {
          messages.push(p.message ?? '');
          progress.push(p.progress);
        },
      },
    ),
  );
  assert.equal(out.content, 'Whole answer');
  assert.equal(out.deployment, 'b');
  assert.equal(out.attempts[0]?.failure, 'unreachable');
  assert.deepEqual(messages, [
    'Half ',
    'an ',
    '\n[the answer restarts on deployment b after a failure]\n',
    'Whole ',
    'answer',
  ]);
  assert.deepEqual(
    progress,
    [...progress].sort((x, y) => x - y),
  );
});
