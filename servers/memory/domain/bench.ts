import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import type { RecordOf } from '../../../schemas/memory/record.ts';
import { Memory } from './memory.ts';
import { SqliteMemoryStore } from './store-sqlite.ts';
import type { RecallMode } from './notes.ts';
import { seal } from './records.ts';
import { sampleQuantile } from '../../../lib/quantile.ts';

export interface RecallBenchOptions {
  /** Store sizes to measure, e.g. [10_000, 100_000]. */
  sizes: readonly number[];
  dimension?: number;
  /** Timed recall queries per size and mode. */
  queries?: number;
  k?: number;
  progress?: (line: string) => void;
}

export interface RecallBenchResult {
  size: number;
  dimension: number;
  /** Seconds to embed and insert the notes. */
  loadSeconds: number;
  /** Per mode: recall latency in milliseconds. */
  latency: Record<RecallMode, { p50: number; p95: number; max: number }>;
  /**
   * The yardstick, measured in the same run on the same vectors: sqlite-vec brute-force float KNN (k) alone,
   * with no filtering or rescoring. On a loaded machine absolute figures inflate; the ratio holds.
   */
  floatKnn: { p50: number; p95: number; max: number };
  /** Share of the exact top k (the yardstick's answer) that vector-mode recall returned: the index's cost in quality. */
  vectorRecallAtK: number;
  /** Milliseconds to load the vector index when the store is opened again (a restart), done before serving. */
  indexLoadMs: number;
}

/** A deterministic pseudo-random generator (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A vocabulary of pronounceable pseudo-words with a Zipf-like draw, so term frequencies look like text. */
function textSource(seed: number): (words: number) => string {
  const next = random(seed);
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ne',
    'ru',
    'ta',
    'vo',
    'shi',
    'pa',
    'de',
    'gri',
    'on',
    'el',
    'ax',
    'ur',
  ];
  const vocabulary = Array.from({ length: 20_000 }, () => {
    const n = 2 + Math.floor(next() * 3);
    return Array.from({ length: n }, () => syllables[Math.floor(next() * syllables.length)]).join('');
  });
  return (words) =>
    Array.from({ length: words }, () => vocabulary[Math.floor(vocabulary.length * next() ** 2.5)]).join(' ');
}

function quantiles(samples: number[]): { p50: number; p95: number; max: number } {
  return {
    p50: sampleQuantile(samples, 0.5) ?? 0,
    p95: sampleQuantile(samples, 0.95) ?? 0,
    max: sampleQuantile(samples, 1) ?? 0,
  };
}

/**
 * Recall latency at the given store sizes: notes of 8–24 words embedded by the lexical embedder, inserted in
 * bulk into a fresh SQLite store, then timed recalls (hybrid, BM25 only, vector only) with 2–4 word queries.
 * Meant for `npm run bench` (bench/memory.ts) and for running by hand.
 */
export async function benchRecall(options: RecallBenchOptions): Promise<RecallBenchResult[]> {
  const dimension = options.dimension ?? 384;
  const queries = options.queries ?? 200;
  const k = options.k ?? 10;
  const progress = options.progress ?? (() => {});
  const results: RecallBenchResult[] = [];
  for (const size of options.sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
    const embedder = new LexicalEmbedder({ dimension });
    const store = new SqliteMemoryStore({ path: join(dir, 'memory.db') });
    const memory = new Memory({ store, embedder });
    try {
      const author = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
      const text = textSource(size);
      const next = random(size + 1);
      const space = await memory.notes.space();
      const started = performance.now();
      for (let done = 0; done < size;) {
        const batch = Array.from({ length: Math.min(2_000, size - done) }, () =>
          seal<RecordOf<'note'>>({
            kind: 'note',
            author,
            scope: { kind: 'public' },
            recordedAt: 1,
            validFrom: 1,
            validTo: null,
            body: { text: text(8 + Math.floor(next() * 17)) },
          }),
        );
        const vectors = await embedder.embed(batch.map((r) => r.body.text));
        await memory.store.write(async (tx) => {
          const stored = await tx.insert(batch);
          await tx.putVectors(
            space.id,
            stored.map((r, i) => ({ seq: r.seq, vector: vectors[i] ?? new Float32Array(dimension) })),
          );
        });
        done += batch.length;
        if (done % 20_000 === 0 || done === size) progress(`memory: loaded ${done}/${size} notes`);
      }
      const loadSeconds = (performance.now() - started) / 1000;
      const latency = {} as RecallBenchResult['latency'];
      for (const mode of ['hybrid', 'bm25', 'vector'] as const) {
        const samples: number[] = [];
        for (let i = 0; i < queries + 10; i++) {
          const query = text(2 + Math.floor(next() * 3));
          const t0 = performance.now();
          await memory.notes.recall(author, { query, k, mode });
          // The first few warm caches and prepared statements.
          if (i >= 10) samples.push(performance.now() - t0);
        }
        latency[mode] = quantiles(samples);
        progress(
          `memory: ${size} notes, ${mode}: p50 ${latency[mode].p50.toFixed(2)} ms, p95 ${latency[mode].p95.toFixed(2)} ms`,
        );
      }
      // The yardstick: sqlite-vec (a development dependency) scanning the same float vectors exactly.
      sqliteVec.load(store.db);
      store.db.exec(`CREATE VIRTUAL TABLE bench_float USING vec0(embedding float[${dimension}]);
        INSERT INTO bench_float (rowid, embedding) SELECT seq, vector FROM memory_vec_float_${space.id}`);
      const knn = store.db.prepare(
        'SELECT rowid, distance FROM bench_float WHERE embedding MATCH ? AND k = ?',
      );
      const idOf = store.db.prepare('SELECT id FROM memory_records WHERE seq = ?').pluck();
      const floatSamples: number[] = [];
      let kept = 0;
      for (let i = 0; i < queries + 10; i++) {
        const query = text(2 + Math.floor(next() * 3));
        const [q] = await embedder.embed([query]);
        const t0 = performance.now();
        const exact = knn.all(Buffer.from((q ?? new Float32Array(dimension)).buffer), k) as {
          rowid: number;
        }[];
        if (i < 10) continue;
        floatSamples.push(performance.now() - t0);
        const found = new Set(
          (await memory.notes.recall(author, { query, k, mode: 'vector' })).map((h) => h.id),
        );
        kept += exact.filter((e) => found.has(idOf.get(e.rowid) as string)).length;
      }
      const vectorRecallAtK = kept / (queries * k);
      const floatKnn = quantiles(floatSamples);
      progress(
        `memory: ${size} notes, float brute-force KNN: p50 ${floatKnn.p50.toFixed(2)} ms, p95 ${floatKnn.p95.toFixed(2)} ms; vector recall@${k} ${vectorRecallAtK.toFixed(3)}`,
      );
      // A restart: another connection to the same file loads the index from the stored float vectors.
      const reopened = new SqliteMemoryStore({ path: join(dir, 'memory.db') });
      const loading = performance.now();
      await reopened.prepareVectors(space);
      const indexLoadMs = performance.now() - loading;
      await reopened.close();
      progress(`memory: ${size} notes, index load on reopening: ${indexLoadMs.toFixed(0)} ms`);
      results.push({ size, dimension, loadSeconds, latency, floatKnn, vectorRecallAtK, indexLoadMs });
    } finally {
      await memory.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}
