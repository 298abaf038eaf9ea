import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { startOpenAiServer } from '../../../test/fixtures/openai-server.ts';
import { errorCode, ok, startLlm } from '../testing.ts';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';

interface EmbedOut {
  vectors: number[][];
  dimension: number;
  fallback: boolean;
  deployment: string;
  model: string;
  prompt_tokens: number | null;
}

test('embed returns one vector per text from the embed deployment', async (t) => {
  const ollama = await startOllamaServer({ models: [{ name: 'nomic-embed-text', embeddingLength: 12 }] });
  t.after(() => ollama.close());
  const { client } = await startLlm(t, { ollama_host: ollama.url });
  const out = ok<EmbedOut>(
    await client.callTool({ name: 'embed', arguments: { texts: ['alpha', 'beta', 'alpha'] } }),
  );
  assert.equal(out.deployment, 'ollama-embed');
  assert.equal(out.dimension, 12);
  assert.equal(out.vectors.length, 3);
  assert.deepEqual(out.vectors[0], out.vectors[2]);
  assert.notDeepEqual(out.vectors[0], out.vectors[1]);
  assert.equal(out.fallback, false);
  assert.ok((out.prompt_tokens ?? 0) > 0);
});

test('embed through an OpenAI-compatible /v1/embeddings', async (t) => {
  const openai = await startOpenAiServer({ models: [{ id: 'text-embedding-3-small', embeddingLength: 6 }] });
  t.after(() => openai.close());
  const { client } = await startLlm(t, {
    deployments: [
      { id: 'oe', backend: 'openai', url: openai.url, model: 'text-embedding-3-small', kinds: ['embed'] },
    ],
  });
  const out = ok<EmbedOut>(await client.callTool({ name: 'embed', arguments: { texts: ['a', 'b'] } }));
  assert.equal(out.deployment, 'oe');
  assert.equal(out.dimension, 6);
});

test('with no embedding backend reachable: an error by default, the lexical embedder only when configured', async (t) => {
  const ollama = await startOllamaServer();
  const dead = ollama.url;
  await ollama.close();
  const strict = await startLlm(t, { ollama_host: dead, retries: { max_retries: 0 } });
  assert.equal(
    errorCode(await strict.client.callTool({ name: 'embed', arguments: { texts: ['x'] } })),
    'llm_unavailable',
  );

  const lenient = await startLlm(t, {
    ollama_host: dead,
    retries: { max_retries: 0 },
    embed_fallback: 'lexical',
  });
  const out = ok<EmbedOut>(
    await lenient.client.callTool({ name: 'embed', arguments: { texts: ['graph memory', 'memory graph'] } }),
  );
  assert.equal(out.fallback, true);
  assert.equal(out.deployment, 'lexical');
  assert.equal(out.model, new LexicalEmbedder().id);
  assert.equal(out.dimension, 384);
  assert.equal(out.vectors.length, 2);
});
