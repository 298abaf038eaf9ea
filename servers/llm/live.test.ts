// Opt-in: runs against a real Ollama when OLLAMA_HOST is set and reachable; reported as skipped otherwise.
// PLEXUS_LIVE_MODEL picks the chat model (default: the smallest installed model that is not an embedder).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ollamaHostFromEnv } from './component.ts';
import { ok, startLlm } from './testing.ts';

interface Tag {
  name: string;
  size: number;
}

async function liveOllama(t: TestContext): Promise<{ host: string; models: Tag[] } | null> {
  if (!process.env['OLLAMA_HOST']) {
    t.skip('OLLAMA_HOST is not set (set it to run against a real Ollama)');
    return null;
  }
  const host = ollamaHostFromEnv(process.env);
  try {
    const response = await fetch(`${host}/api/tags`, { signal: AbortSignal.timeout(2000) });
    const { models } = (await response.json()) as { models: Tag[] };
    return { host, models };
  } catch (error) {
    t.skip(`Ollama at ${host} is not reachable: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

test('live Ollama: chat streams an answer with token counts', async (t) => {
  const live = await liveOllama(t);
  if (!live) return;
  const chatModels = live.models.filter((m) => !/embed/i.test(m.name)).sort((a, b) => a.size - b.size);
  const model = process.env['PLEXUS_LIVE_MODEL'] ?? chatModels[0]?.name;
  if (!model) {
    t.skip(`Ollama at ${live.host} has no chat model installed (ollama pull qwen2.5:0.5b)`);
    return;
  }
  const { client } = await startLlm(t, { ollama_host: live.host, default_models: { chat: model } });
  const chunks: string[] = [];
  const out = ok<{ content: string; deployment: string; completion_tokens: number | null; ttft_ms: number }>(
    await client.callTool(
      {
        name: 'chat',
        arguments: { messages: [{ role: 'user', content: 'Say hello in one word.' }], max_tokens: 16 },
      },
      { onprogress: (p) => chunks.push(p.message ?? ''), timeout: 300_000 },
    ),
  );
  assert.ok(out.content.length > 0);
  assert.equal(chunks.join(''), out.content);
  assert.ok((out.completion_tokens ?? 0) > 0);
  t.diagnostic(`${model}: "${out.content.trim()}" ttft ${out.ttft_ms} ms`);
});

test('live Ollama: embeddings from an installed embedding model', async (t) => {
  const live = await liveOllama(t);
  if (!live) return;
  const embedder = live.models.find((m) => /embed/i.test(m.name));
  if (!embedder) {
    t.skip(`Ollama at ${live.host} has no embedding model installed (ollama pull nomic-embed-text)`);
    return;
  }
  const { client } = await startLlm(t, { ollama_host: live.host, default_models: { embed: embedder.name } });
  const out = ok<{ vectors: number[][]; dimension: number }>(
    await client.callTool({ name: 'embed', arguments: { texts: ['hello', 'world'] } }),
  );
  assert.equal(out.vectors.length, 2);
  assert.ok(out.dimension > 0);
});
