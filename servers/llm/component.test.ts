import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { startOllamaServer } from '../../test/fixtures/ollama-server.ts';
import {
  component,
  llmSettingsWithEnv,
  ollamaHostFromEnv,
  parseLlmSettings,
  settingsFromArgs,
} from './component.ts';
import { ok } from './testing.ts';

test('OLLAMA_HOST is read the way Ollama reads it', () => {
  assert.equal(ollamaHostFromEnv({}), 'http://127.0.0.1:11434');
  assert.equal(ollamaHostFromEnv({ OLLAMA_HOST: '0.0.0.0' }), 'http://127.0.0.1:11434');
  assert.equal(ollamaHostFromEnv({ OLLAMA_HOST: 'gpu-box:9999' }), 'http://gpu-box:9999');
  assert.equal(ollamaHostFromEnv({ OLLAMA_HOST: ':8080' }), 'http://127.0.0.1:8080');
  assert.equal(
    ollamaHostFromEnv({ OLLAMA_HOST: 'https://ollama.example.com' }),
    'https://ollama.example.com',
  );
  assert.equal(
    llmSettingsWithEnv({ ollama_host: 'http://x:1' }, { OLLAMA_HOST: 'y' }).ollama_host,
    'http://x:1',
  );
  assert.equal(llmSettingsWithEnv(undefined, { OLLAMA_HOST: 'y' }).ollama_host, 'http://y:11434');
});

test('bad settings fail at startup naming every bad field', () => {
  assert.throws(
    () =>
      parseLlmSettings({
        deployments: [
          { id: 'a', backend: 'openai', model: 'x' },
          { id: 'a', backend: 'ollama', model: 'y', max_concurrency: 0 },
        ],
        groups: { main: { deployments: ['a', 'zz'], fallbacks: ['nope'] } },
        tasks: { chat: 'ghost' },
      }),
    (error: Error) => {
      for (const field of ['llm.deployments.0.url', 'llm.deployments.1.max_concurrency'])
        assert.match(error.message, new RegExp(field.replace(/\./g, '\\.')));
      return true;
    },
  );
  assert.throws(
    () =>
      parseLlmSettings({
        deployments: [
          { id: 'a', backend: 'ollama', model: 'x' },
          { id: 'a', backend: 'ollama', model: 'y' },
        ],
        groups: { main: { deployments: ['a', 'zz'], fallbacks: ['nope'] } },
        tasks: { chat: 'ghost' },
      }),
    /llm\.deployments\.1\.id: duplicate id 'a'.*llm\.groups\.main\.deployments\.1: unknown deployment 'zz'.*llm\.groups\.main\.fallbacks\.0: unknown group 'nope'.*llm\.tasks\.chat: unknown group 'ghost'/,
  );
});

test('plexus serve llm arguments become settings', () => {
  assert.deepEqual(
    settingsFromArgs(['--ollama-host', 'box:1234', '--chat-model', 'qwen3', '--embed-fallback', 'lexical']),
    {
      ollama_host: 'http://box:1234',
      default_models: { chat: 'qwen3' },
      embed_fallback: 'lexical',
    },
  );
  assert.equal(parseLlmSettings(settingsFromArgs(['--chat-model', 'qwen3'])).default_models.chat, 'qwen3');
});

test('the component runs in a local composition and answers chat', async (t) => {
  const ollama = await startOllamaServer({ models: [{ name: 'qwen3' }] });
  t.after(() => ollama.close());
  const composition = await composeInProcess(
    { llm: component },
    {
      dataDir: '',
      log: silentLogger,
      settings: {
        llm: { ollama_host: ollama.url, default_models: { chat: 'qwen3' }, health: { interval_ms: 0 } },
      },
    },
  );
  t.after(() => composition.close());
  const client = await composition.connect('llm');
  const out = ok<{ content: string; model: string }>(
    await client.callTool({
      name: 'chat',
      arguments: { messages: [{ role: 'user', content: 'ping' }] },
      _meta: { 'io.plexus/caller': { subject: 'did:key:z6MkTest', scopes: ['read'] } },
    }),
  );
  assert.deepEqual(out, { ...out, content: 'echo: ping', model: 'qwen3' });
});
