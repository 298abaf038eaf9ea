import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dot, l2Normalize } from '../../../lib/embedding/embedder.ts';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import { QuantizedIndex } from './vector-index.ts';

const embedder = new LexicalEmbedder({ dimension: 384 });
const words =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(
    ' ',
  );

/** Notes of 6–12 words drawn from a small vocabulary, deterministically. */
function notes(n: number): string[] {
  let x = 7;
  const next = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 1000) / 1000;
  return Array.from({ length: n }, () =>
    Array.from({ length: 6 + Math.floor(next() * 7) }, () => words[Math.floor(next() * words.length)]).join(
      ' ',
    ),
  );
}

test('the index finds the exact nearest neighbours when every vector is a candidate', () => {
  const texts = notes(300);
  const vectors = texts.map((t) => embedder.embedOne(t));
  const index = new QuantizedIndex(384);
  vectors.forEach((v, i) => index.add(i + 1, v));
  assert.equal(index.size, 300);
  assert.equal(index.maxSeq, 300);
  const query = embedder.embedOne('charlie delta echo');
  const exact = vectors
    .map((v, i) => ({ seq: i + 1, score: dot(query, v) }))
    .sort((a, b) => b.score - a.score);
  const found = index.search(query, 300);
  assert.equal(found.length, 300);
  // int8 scores stay within rounding of the exact cosine, so the best few agree.
  for (const hit of found.slice(0, 20)) {
    const truth = exact.find((e) => e.seq === hit.seq)?.score ?? NaN;
    assert.ok(Math.abs(hit.score - truth) < 0.02, `seq ${hit.seq}: ${hit.score} vs ${truth}`);
  }
  assert.deepEqual(
    new Set(found.slice(0, 5).map((h) => h.seq)),
    new Set(exact.slice(0, 5).map((e) => e.seq)),
  );
});

test('sign-bit candidates keep most of the exact top 10 when only a fraction of the index is rescored', () => {
  const texts = notes(5_000);
  const vectors = texts.map((t) => embedder.embedOne(t));
  const index = new QuantizedIndex(384);
  vectors.forEach((v, i) => index.add(i + 1, v));
  let kept = 0;
  const queries = notes(40).map((t) => t.split(' ').slice(0, 3).join(' '));
  for (const q of queries) {
    const query = embedder.embedOne(q);
    const exact = new Set(
      vectors
        .map((v, i) => ({ seq: i + 1, score: dot(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((e) => e.seq),
    );
    const found = index.search(query, 250).slice(0, 10);
    kept += found.filter((h) => exact.has(h.seq)).length;
  }
  // 250 of 5,000 candidates (5%): the sign bits alone must do much better than chance (5%).
  assert.ok(kept / (queries.length * 10) > 0.8, `kept ${kept} of ${queries.length * 10}`);
});

test('adding a seq again replaces its vector; the index grows past its first capacity', () => {
  const index = new QuantizedIndex(64);
  const unit = (i: number): Float32Array => {
    const v = new Float32Array(64);
    v[i % 64] = 1;
    return l2Normalize(v);
  };
  for (let seq = 1; seq <= 3000; seq++) index.add(seq, unit(seq));
  assert.equal(index.size, 3000);
  index.add(5, unit(10));
  assert.equal(index.size, 3000);
  const best = index
    .search(unit(10), 3000)
    .filter((h) => h.score > 0.99)
    .map((h) => h.seq);
  assert.ok(best.includes(5) && best.includes(10));
  assert.throws(() => index.add(1, new Float32Array(32)), /32 dimensions, the index 64/);
  assert.throws(() => new QuantizedIndex(48), /multiple of 32/);
});

test('an empty index and a zero vector are answered, not failed', () => {
  const index = new QuantizedIndex(32);
  assert.deepEqual(index.search(new Float32Array(32), 10), []);
  index.add(1, new Float32Array(32));
  assert.deepEqual(index.search(new Float32Array(32), 10), [{ seq: 1, score: 0 }]);
});
