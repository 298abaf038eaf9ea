import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { startOpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { ok, startLlm } from '../testing.ts';

interface Listing {
  deployments: Array<{
    id: string;
    health: string;
    health_detail: string | null;
    requests: number;
    failures: number;
    ttft_ms: number | null;
    completion_tokens: number;
    groups: string[];
    cooling_down_until: number | null;
  }>;
  groups: Record<string, { deployments: string[]; strategy: string; fallbacks: string[] }>;
  tasks: Record<string, string>;
}

test('list_models probes /api/tags and /v1/models and reports health, stats, groups and tasks', async (t) => {
  const ollama = await startOllamaServer({ models: [{ name: 'llama3.2' }] });
  t.after(() => ollama.close());
  const openai = await startOpenAiServer({ models: [{ id: 'qwen' }] });
  t.after(() => openai.close());
  const gone = await startOllamaServer();
  await gone.close();
  const { client } = await startLlm(t, {
    ollama_host: ollama.url,
    deployments: [
      { id: 'local', backend: 'ollama', model: 'llama3.2' },
      { id: 'missing', backend: 'ollama', model: 'mistral' },
      { id: 'remote', backend: 'openai', url: openai.url, model: 'qwen' },
      { id: 'offline', backend: 'ollama', url: gone.url, model: 'llama3.2' },
    ],
    groups: {
      fast: { deployments: ['local', 'remote'], strategy: 'lowest-latency' },
      backup: { deployments: ['offline'] },
    },
    tasks: { chat: 'fast', code: 'backup', translate: 'fast' },
  });
  ollama.script.chat.enqueue({ content: 'hi', completionTokens: 5 });
  ok(await client.callTool({ name: 'chat', arguments: { messages: [{ role: 'user', content: 'x' }] } }));

  const listing = ok<Listing>(await client.callTool({ name: 'list_models', arguments: { probe: true } }));
  const by = Object.fromEntries(listing.deployments.map((d) => [d.id, d]));
  assert.equal(by['local']?.health, 'healthy');
  assert.equal(by['missing']?.health, 'model_missing');
  assert.equal(by['remote']?.health, 'healthy');
  assert.equal(by['offline']?.health, 'unreachable');
  assert.equal(by['local']?.requests, 1);
  assert.equal(by['local']?.completion_tokens, 5);
  assert.ok(by['local']?.ttft_ms !== null);
  assert.deepEqual(by['local']?.groups, ['fast']);
  assert.deepEqual(listing.groups['fast'], {
    deployments: ['local', 'remote'],
    strategy: 'lowest-latency',
    fallbacks: [],
  });
  assert.equal(listing.tasks['code'], 'backup');
  assert.equal(listing.tasks['translate'], 'fast');
  assert.equal(listing.tasks['summarize'], 'fast', 'unmapped built-in tasks use the default group');
  assert.equal(ollama.requestsTo('/api/tags').length, 1, 'deployments on one server share a probe');
});

test('background health checks run on the configured interval', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  ollama.script.meta.enqueue({ status: 500, error: 'starting' });
  const { client } = await startLlm(t, { ollama_host: ollama.url, health: { interval_ms: 20 } });
  // A third probe starts only after the second (the first healthy one) has finished.
  await ollama.waitForRequests('/api/tags', 3);
  const listing = ok<Listing>(await client.callTool({ name: 'list_models', arguments: {} }));
  assert.equal(listing.deployments.find((d) => d.id === 'ollama-chat')?.health, 'healthy');
});
