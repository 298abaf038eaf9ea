// The typed llm client (lib/clients/llm.ts) against the real llm server in this process, over a fixture
// server speaking the Ollama API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../lib/clients/errors.ts';
import { llmClient } from '../../lib/clients/llm.ts';
import { startOllamaServer } from '../../test/fixtures/ollama-server.ts';
import { startLlm } from './testing.ts';

const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

test('chat answers through the typed client, parsed; refusals keep code, hint and kind', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.chat.enqueue({ content: 'Hello there', promptTokens: 12, completionTokens: 3 });
  const { client, connect } = await startLlm(t, { ollama_host: ollama.url });
  const llm = llmClient(client);

  const answer = await llm.chat({ messages: MESSAGES, max_tokens: 50 });
  assert.deepEqual(
    [answer.content, answer.backend, answer.prompt_tokens, answer.tool_calls],
    ['Hello there', 'ollama', 12, []],
  );

  const badInput = await llm.chat({ messages: [] }).catch((e: unknown) => e);
  assert.ok(badInput instanceof ToolError, String(badInput));
  assert.deepEqual([badInput.kind, badInput.code, badInput.field], ['invalid', 'invalid_params', 'messages']);

  const stranger = await llmClient(await connect([]))
    .chat({ messages: MESSAGES })
    .catch((e: unknown) => e);
  assert.ok(stranger instanceof ToolError);
  assert.deepEqual([stranger.kind, stranger.code], ['forbidden', 'insufficient_scope']);
});

test('an llm server without a reachable backend says so in its own words and kind', async (t) => {
  const ollama = await startOllamaServer();
  const deadUrl = ollama.url;
  await ollama.close();
  const { client } = await startLlm(t, { ollama_host: deadUrl, retries: { max_retries: 1 } });
  const offline = await llmClient(client)
    .chat({ messages: MESSAGES })
    .catch((e: unknown) => e);
  assert.ok(offline instanceof ToolError, String(offline));
  assert.deepEqual([offline.kind, offline.code, offline.tool], ['unavailable', 'llm_unavailable', 'chat']);
  assert.match(offline.hint ?? '', /ollama serve/);
});
