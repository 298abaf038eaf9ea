import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OllamaEmbedder } from './ollama.ts';
import { PlexusError } from '../errors.ts';

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** An HTTP server speaking the /api/embed subset of the Ollama API. */
async function fakeOllama(t: TestContext, dims: number) {
  const requests: { model: string; input: string[] }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url !== '/api/embed' || req.method !== 'POST') {
        res.writeHead(404).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const request = (await body(req)) as { model: string; input: string[] };
      requests.push(request);
      if (request.model !== 'nomic-embed-text') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `model "${request.model}" not found, try pulling it first` }));
        return;
      }
      const embeddings = request.input.map((text) =>
        Array.from({ length: dims }, (_, i) => (i === text.length % dims ? 3 : 0)),
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: request.model, embeddings }));
    })();
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `http://127.0.0.1:${port}`, requests };
}

test('embeds through /api/embed in batches and normalizes', async (t) => {
  const { host, requests } = await fakeOllama(t, 16);
  const e = new OllamaEmbedder({ host, model: 'nomic-embed-text', dimension: 16, batchSize: 2 });
  const vectors = await e.embed(['a', 'bb', 'ccc']);
  assert.equal(e.id, 'ollama:nomic-embed-text');
  assert.equal(vectors.length, 3);
  assert.deepEqual(
    requests.map((r) => r.input),
    [['a', 'bb'], ['ccc']],
  );
  assert.equal(vectors[1]?.[2], 1);
});

test('a dimension mismatch and a missing model are clear errors', async (t) => {
  const { host } = await fakeOllama(t, 16);
  const wrongDim = new OllamaEmbedder({ host, model: 'nomic-embed-text', dimension: 32 });
  await assert.rejects(wrongDim.embed(['x']), (e: unknown) => {
    assert.ok(e instanceof PlexusError);
    assert.equal(e.code, 'embedder_dimension_mismatch');
    return true;
  });
  const missing = new OllamaEmbedder({ host, model: 'nope', dimension: 16 });
  await assert.rejects(missing.embed(['x']), (e: unknown) => {
    assert.ok(e instanceof PlexusError);
    assert.equal(e.code, 'embedder_unavailable');
    assert.match(e.message, /not found/);
    return true;
  });
});
