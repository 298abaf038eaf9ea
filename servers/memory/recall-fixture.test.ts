import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, call, memoryHarness } from './testing.ts';

interface Fixture {
  documents: { id: string; text: string }[];
  queries: { query: string; relevant: string[] }[];
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/fixtures/memory-recall/corpus.json'), 'utf8'),
) as Fixture;

test('recall@5 on the labelled fixture: fused ranking beats BM25 alone and vectors alone', async (t) => {
  const client = await memoryHarness(t).connect(agent().did);
  for (const doc of fixture.documents) {
    await call(client, 'remember', { text: doc.text, metadata: { doc: doc.id } });
  }
  const recallAt5: Record<string, number> = {};
  for (const mode of ['bm25', 'vector', 'hybrid']) {
    let sum = 0;
    for (const q of fixture.queries) {
      const { items } = await call<{ items: { metadata: { doc: string } }[] }>(client, 'recall', {
        query: q.query,
        k: 5,
        mode,
      });
      assert.ok(items.length <= 5);
      const found = new Set(items.map((i) => i.metadata.doc));
      sum += q.relevant.filter((id) => found.has(id)).length / q.relevant.length;
    }
    recallAt5[mode] = sum / fixture.queries.length;
  }
  t.diagnostic(`recall@5 ${JSON.stringify(recallAt5)}`);
  const { bm25 = 0, vector = 0, hybrid = 0 } = recallAt5;
  assert.ok(hybrid >= bm25, `fused ${hybrid} < bm25 ${bm25}`);
  assert.ok(hybrid >= vector, `fused ${hybrid} < vector ${vector}`);
  assert.ok(hybrid > 0.7, `fused recall@5 ${hybrid}`);
});
