import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LexicalEmbedder } from './lexical.ts';
import { dot } from './embedder.ts';

test('vectors are deterministic, unit length and of the configured dimension', async () => {
  const e = new LexicalEmbedder({ dimension: 128 });
  const [a, b] = await e.embed(['The quick brown fox', 'The quick brown fox']);
  assert.ok(a && b);
  assert.equal(a.length, 128);
  assert.deepEqual(a, b);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5);
  assert.equal(new LexicalEmbedder().dimension, 384);
});

test('shared words and word fragments score higher than unrelated text', () => {
  const e = new LexicalEmbedder();
  const q = e.embedOne('database embeddings');
  const near = e.embedOne('storing embedding vectors in a database');
  const far = e.embedOne('the cat sat on the warm mat');
  assert.ok(dot(q, near) > dot(q, far) + 0.2, `${dot(q, near)} vs ${dot(q, far)}`);
});

test('empty text embeds to the zero vector; case and punctuation do not matter', () => {
  const e = new LexicalEmbedder({ dimension: 64 });
  assert.ok(e.embedOne('  ...  ').every((x) => x === 0));
  assert.deepEqual(e.embedOne('Hello, World!'), e.embedOne('hello world'));
});

test('a dimension that cannot be binary-quantized is refused', () => {
  assert.throws(() => new LexicalEmbedder({ dimension: 100 }), /multiple of 8/);
  assert.throws(() => new LexicalEmbedder({ dimension: 0 }), /multiple of 8/);
});
