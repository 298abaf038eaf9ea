import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import type { CreateMessageRequest } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { connectInProcess } from '../../lib/mcp/in-process.ts';
import type { ChatOutput } from '../../schemas/llm/tools.ts';
import { startOllamaServer } from '../../test/fixtures/ollama-server.ts';
import { chatArgumentsFromSampling, samplingResultFromChat } from './sampling.ts';
import { ok, startLlm } from './testing.ts';

test('sampling params map onto chat arguments: system prompt, images, tool use and results, preferences', () => {
  const params: CreateMessageRequest['params'] = {
    systemPrompt: 'be brief',
    maxTokens: 100,
    temperature: 0.3,
    stopSequences: ['END'],
    modelPreferences: { hints: [{ name: 'claude' }], intelligencePriority: 0.8 },
    tools: [
      {
        name: 'lookup',
        description: 'find',
        inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
      },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
        ],
      },
      { role: 'assistant', content: { type: 'tool_use', id: 'c1', name: 'lookup', input: { q: 'x' } } },
      {
        role: 'user',
        content: { type: 'tool_result', toolUseId: 'c1', content: [{ type: 'text', text: 'a cat' }] },
      },
    ],
  };
  assert.deepEqual(chatArgumentsFromSampling(params, { task: 'reasoning' }), {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'what is this?', images: ['aGVsbG8='] },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', name: 'lookup', arguments: { q: 'x' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
    ],
    task: 'reasoning',
    max_tokens: 100,
    temperature: 0.3,
    stop: ['END'],
    model_preferences: { hints: [{ name: 'claude' }], intelligencePriority: 0.8 },
    tools: [
      {
        name: 'lookup',
        description: 'find',
        input_schema: { type: 'object', properties: { q: { type: 'string' } } },
      },
    ],
  });
  assert.throws(
    () =>
      chatArgumentsFromSampling({
        maxTokens: 5,
        messages: [{ role: 'user', content: { type: 'audio', data: 'AA==', mimeType: 'audio/wav' } }],
      }),
    /messages\.0\.content\.0: audio content is not supported/,
  );
});

test('chat results map back onto CreateMessageResult, tool calls as tool_use blocks', () => {
  assert.deepEqual(
    samplingResultFromChat({ content: 'hi', tool_calls: [], finish_reason: 'length', model: 'm' }),
    {
      model: 'm',
      role: 'assistant',
      stopReason: 'maxTokens',
      content: { type: 'text', text: 'hi' },
    },
  );
  const withTools = samplingResultFromChat(
    {
      content: '',
      tool_calls: [{ id: 'c', name: 'f', arguments: { a: 1 } }],
      finish_reason: 'tool_calls',
      model: 'm',
    },
    { withTools: true },
  );
  assert.deepEqual(withTools.content, [{ type: 'tool_use', id: 'c', name: 'f', input: { a: 1 } }]);
  assert.equal(withTools.stopReason, 'toolUse');
});

test('an upstream server’s sampling request is answered through chat, routed by modelPreferences', async (t) => {
  const ollama = await startOllamaServer({ models: [{ name: 'phi3' }, { name: 'llama3.1:70b' }] });
  t.after(() => ollama.close());
  ollama.script.chat.always((req) => ({ content: `answer from ${(req.body as { model: string }).model}` }));
  const { client: llm } = await startLlm(t, {
    ollama_host: ollama.url,
    deployments: [
      { id: 'small', backend: 'ollama', model: 'phi3', speed: 0.9, intelligence: 0.2, cost: 0 },
      { id: 'big', backend: 'ollama', model: 'llama3.1:70b', speed: 0.2, intelligence: 0.95, cost: 0.5 },
    ],
  });

  // An upstream MCP server whose tool asks its client to sample.
  const upstream = new McpServer({ name: 'upstream', version: '1.0.0' });
  upstream.registerTool(
    'ask',
    { inputSchema: z.object({ prefs: z.record(z.string(), z.unknown()) }) },
    async ({ prefs }) => {
      const result = await upstream.server.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: 'hello' } }],
        maxTokens: 50,
        modelPreferences: prefs,
      });
      return {
        content: [{ type: 'text', text: `${result.model}: ${(result.content as { text: string }).text}` }],
      };
    },
  );
  // The hub's side: a client that answers sampling through the llm server.
  const hubSide = await connectInProcess(upstream, { client: { capabilities: { sampling: {} } } });
  t.after(() => hubSide.close());
  hubSide.setRequestHandler('sampling/createMessage', async (request) => {
    const out = ok<ChatOutput>(
      await llm.callTool({ name: 'chat', arguments: chatArgumentsFromSampling(request.params) }),
    );
    return samplingResultFromChat(out);
  });

  const ask = async (prefs: Record<string, unknown>) => {
    const result = await hubSide.callTool({ name: 'ask', arguments: { prefs } });
    return (result.content as Array<{ text: string }>)[0]?.text;
  };
  assert.equal(await ask({ intelligencePriority: 1 }), 'llama3.1:70b: answer from llama3.1:70b');
  assert.equal(await ask({ speedPriority: 1, intelligencePriority: 0.3 }), 'phi3: answer from phi3');
  assert.equal(await ask({ hints: [{ name: 'phi' }], intelligencePriority: 1 }), 'phi3: answer from phi3');
  assert.equal(await ask({ costPriority: 1 }), 'phi3: answer from phi3');
});
