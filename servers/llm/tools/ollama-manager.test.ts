import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { errorCode, errorOf, ok, startLlm } from '../testing.ts';

test('operators list, show, pull (with progress), preload and unload Ollama models', async (t) => {
  const ollama = await startOllamaServer({
    models: [{ name: 'llama3.2', contextLength: 131072, family: 'llama' }],
  });
  t.after(() => ollama.close());
  const { connect } = await startLlm(t, { ollama_host: ollama.url });
  const admin = await connect(['admin']);

  const listed = ok<{
    hosts: Array<{ url: string; reachable: boolean; models: Array<{ name: string; loaded: boolean }> }>;
  }>(await admin.callTool({ name: 'list_ollama_models', arguments: {} }));
  assert.equal(listed.hosts.length, 1);
  assert.deepEqual(
    listed.hosts[0]?.models.map((m) => [m.name, m.loaded]),
    [['llama3.2:latest', false]],
  );

  const shown = ok<{ context_length: number; family: string; capabilities: string[] }>(
    await admin.callTool({ name: 'show_ollama_model', arguments: { model: 'llama3.2' } }),
  );
  assert.equal(shown.context_length, 131072);
  assert.equal(shown.family, 'llama');

  const progress: Array<{ progress: number; message?: string }> = [];
  const pulled = ok<{ status: string; total_bytes: number }>(
    await admin.callTool(
      { name: 'pull_ollama_model', arguments: { model: 'qwen2.5:0.5b' } },
      {
        onprogress: (p) =>
          progress.push({ progress: p.progress, ...(p.message ? { message: p.message } : {}) }),
      },
    ),
  );
  assert.equal(pulled.status, 'success');
  assert.equal(pulled.total_bytes, 1000);
  assert.ok(progress.some((p) => /250\/1000 bytes/.test(p.message ?? '')));
  assert.deepEqual(
    progress.map((p) => p.progress),
    progress.map((_, i) => i + 1),
    'progress only grows',
  );
  assert.ok(ollama.models.some((m) => m.name === 'qwen2.5:0.5b'));

  const loaded = ok<{ loaded: boolean; done_reason: string }>(
    await admin.callTool({
      name: 'preload_ollama_model',
      arguments: { model: 'qwen2.5:0.5b', keep_alive: '10m' },
    }),
  );
  assert.deepEqual([loaded.loaded, loaded.done_reason], [true, 'load']);
  assert.equal((ollama.requestsTo('/api/generate')[0]?.body as { keep_alive: string }).keep_alive, '10m');
  const afterLoad = ok<{ hosts: Array<{ models: Array<{ name: string; loaded: boolean }> }> }>(
    await admin.callTool({ name: 'list_ollama_models', arguments: { host: 'ollama-chat' } }),
  );
  assert.equal(afterLoad.hosts[0]?.models.find((m) => m.name === 'qwen2.5:0.5b')?.loaded, true);

  const unloaded = ok<{ loaded: boolean; done_reason: string }>(
    await admin.callTool({ name: 'unload_ollama_model', arguments: { model: 'qwen2.5:0.5b' } }),
  );
  assert.deepEqual([unloaded.loaded, unloaded.done_reason], [false, 'unload']);
  assert.equal(ollama.loaded.has('qwen2.5:0.5b'), false);
});

test('the manager tools need the admin scope and report missing models and unknown hosts clearly', async (t) => {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const { client, connect } = await startLlm(t, { ollama_host: ollama.url });
  assert.equal(
    errorCode(await client.callTool({ name: 'list_ollama_models', arguments: {} })),
    'insufficient_scope',
  );
  assert.equal(ollama.requests.length, 0);

  const admin = await connect(['admin']);
  const missing = errorOf(await admin.callTool({ name: 'show_ollama_model', arguments: { model: 'nope' } }));
  assert.equal(missing.code, 'model_not_found');
  assert.match(missing.hint ?? '', /pull_ollama_model/);
  const host = errorOf(
    await admin.callTool({ name: 'show_ollama_model', arguments: { model: 'x', host: 'elsewhere' } }),
  );
  assert.deepEqual([host.code, host.field], ['invalid_input', 'host']);
  assert.match(host.message, /host: no Ollama host 'elsewhere'/);
  const name = errorOf(
    await admin.callTool({ name: 'pull_ollama_model', arguments: { model: 'bad name; rm' } }),
  );
  assert.equal(name.code, 'invalid_params');
});
