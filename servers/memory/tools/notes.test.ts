import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import { OllamaEmbedder } from '../../../lib/embedding/ollama.ts';
import { authInfoFor, connectInProcess } from '../../../lib/mcp/in-process.ts';
import { silentLogger } from '../../../lib/log.ts';
import { openSqliteMemory } from '../domain/memory.ts';
import { buildServer } from '../server.ts';
import { describeEmbedder } from './get-memory-status.ts';
import { agent, call, callError, callFailure, memoryHarness, tempDir } from '../testing.ts';

interface Hit {
  id: string;
  text: string;
  score: number;
  bm25_rank: number | null;
  vector_rank: number | null;
  similarity: number | null;
  metadata?: Record<string, unknown>;
}

test('remember, recall with ranks and filters, forget', async (t) => {
  const h = memoryHarness(t);
  const alice = agent().did;
  const bob = agent().did;
  const a = await h.connect(alice);
  const b = await h.connect(bob);
  const { item } = await call<{ item: Hit }>(a, 'remember', {
    text: 'The deploy script lives in the ops repository',
    metadata: { topic: 'ops', priority: 2 },
    scope: { kind: 'public' },
  });
  await call(a, 'remember', { text: 'My deploy token is stored in the vault', metadata: { topic: 'ops' } });
  await call(a, 'remember', {
    text: 'Lunch on Fridays is pizza',
    metadata: { topic: 'food' },
    scope: { kind: 'public' },
  });

  // Both deploy notes rank first, found by both retrievers; the vector side may add weak neighbours.
  const mine = await call<{ items: Hit[] }>(a, 'recall', { query: 'deploy', k: 5 });
  const top = mine.items.slice(0, 2);
  assert.deepEqual(
    top.map((i) => i.text.includes('deploy')),
    [true, true],
  );
  assert.ok(top.every((i) => i.bm25_rank !== null && i.vector_rank !== null && (i.similarity ?? 0) > 0));
  assert.ok(mine.items.slice(2).every((i) => i.bm25_rank === null));
  assert.ok((mine.items[0]?.score ?? 0) >= (mine.items[1]?.score ?? 0));

  // Bob sees only public notes; filters narrow further.
  const theirs = await call<{ items: (Hit & { scope: { kind: string } })[] }>(b, 'recall', {
    query: 'deploy script vault token',
    k: 5,
  });
  assert.equal(theirs.items[0]?.id, item.id);
  assert.ok(theirs.items.every((i) => i.scope.kind === 'public' && !i.text.includes('vault')));
  assert.deepEqual(
    (await call<{ items: Hit[] }>(a, 'recall', { query: 'deploy', filter: { priority: 2 } })).items.map(
      (i) => i.id,
    ),
    [item.id],
  );
  const food = await call<{ items: Hit[] }>(a, 'recall', { query: 'deploy', filter: { topic: 'food' } });
  assert.ok(food.items.every((i) => i.metadata?.['topic'] === 'food' && i.bm25_rank === null));
  assert.deepEqual((await call<{ items: Hit[] }>(a, 'recall', { query: 'pizza', author: bob })).items, []);

  // Only the author can forget; a forgotten note is no longer recalled.
  assert.equal(await callError(b, 'forget', { ids: [item.id] }), 'not_author');
  const forgotten = await call<{ forgotten: string[]; not_found: string[] }>(a, 'forget', {
    ids: [item.id, 'A'.repeat(43)],
    reason: 'moved',
  });
  assert.deepEqual(forgotten, { forgotten: [item.id], not_found: ['A'.repeat(43)] });
  assert.ok(
    !(await call<{ items: Hit[] }>(b, 'recall', { query: 'deploy script' })).items.some(
      (i) => i.id === item.id,
    ),
  );

  const bad = await callFailure(a, 'recall', { query: 'x', filter: { 'bad key!': 1 } });
  assert.equal(bad.code, 'invalid_params');
  assert.match(bad.message, /filter/);
});

test('a changed embedder gets its own vector space; reembed fills it; BM25 still works meanwhile', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'memory.db');
  const alice = agent().did;
  const first = openSqliteMemory({ path, embedder: new LexicalEmbedder({ dimension: 64 }) });
  await first.notes.remember(alice, { text: 'kubernetes upgrade window', scope: { kind: 'private' } });
  await first.close();

  const second = openSqliteMemory({ path, embedder: new LexicalEmbedder({ dimension: 128 }) });
  t.after(() => second.close());
  const client = await connectInProcess(buildServer({ memory: second, log: silentLogger }), {
    authInfo: authInfoFor(alice, ['read', 'write', 'admin']),
  });
  t.after(() => client.close());
  const before = await call<{
    embedder: string;
    semantic: boolean;
    spaces: { dimension: number; vectors: number; active: boolean }[];
    unembedded: boolean;
  }>(client, 'get_memory_status');
  // The lexical embedder is said to be what it is, so nobody expects paraphrases to be found.
  assert.deepEqual([before.embedder, before.semantic], ['lexical-v2', false]);
  assert.deepEqual(
    before.spaces.map((s) => [s.dimension, s.vectors, s.active]),
    [
      [64, 1, false],
      [128, 0, true],
    ],
  );
  assert.equal(before.unembedded, true);
  assert.deepEqual(
    (await call<{ items: Hit[] }>(client, 'recall', { query: 'kubernetes', mode: 'vector' })).items,
    [],
  );
  const lexical = await call<{ items: Hit[] }>(client, 'recall', { query: 'kubernetes' });
  assert.equal(lexical.items[0]?.vector_rank, null);
  assert.equal(lexical.items[0]?.bm25_rank, 1);

  assert.deepEqual(await call(client, 'reembed_memories', {}), { embedded: 1, remaining: false });
  const after = await call<{ items: Hit[] }>(client, 'recall', { query: 'kubernetes', mode: 'vector' });
  assert.equal(after.items.length, 1);
  assert.equal((await call<{ unembedded: boolean }>(client, 'get_memory_status')).unembedded, false);
  // Re-embedding is for operators.
  const agentOnly = await connectInProcess(buildServer({ memory: second, log: silentLogger }), {
    authInfo: authInfoFor(alice, ['read', 'write']),
  });
  t.after(() => agentOnly.close());
  assert.equal(await callError(agentOnly, 'reembed_memories', {}), 'insufficient_scope');
});

test('the status line says whether recall is semantic and how to make it so', () => {
  const lexical = describeEmbedder({ embedder: 'lexical-v2', dimension: 384, semantic: false });
  assert.match(lexical, /^lexical-v2 × 384: lexical, not semantic/);
  assert.match(lexical, /"kind": "ollama"/);
  assert.match(lexical, /reembed_memories/);
  assert.equal(
    describeEmbedder({ embedder: 'ollama:nomic-embed-text', dimension: 768, semantic: true }),
    'ollama:nomic-embed-text × 768: semantic (related meaning is found)',
  );
  assert.equal(new OllamaEmbedder({ host: 'http://127.0.0.1:9', model: 'm', dimension: 8 }).semantic, true);
});
