import { l2Normalize, type Embedder } from './embedder.ts';

export interface LexicalEmbedderOptions {
  /** Vector size; a multiple of 8 so vectors can be binary-quantized. Default 384. */
  dimension?: number;
}

const WORD = /[\p{L}\p{N}]+/gu;
// Relative weights: whole words count most, bigrams reward phrase overlap, and character trigrams (many per
// word) tolerate inflection ("invoices" ~ "invoicing"), typos and run-together words ("oncall").
const WEIGHT_WORD = 1;
const WEIGHT_BIGRAM = 0.5;
const WEIGHT_TRIGRAM = 0.5;
// Frequent English function words: they match everything, so they only add noise to a hashed vector.
const STOP_WORDS = new Set(
  (
    'a an and are as at be by can do does for from he her him his how i in is it its me my not of on or our ' +
    'she so that the their them there they this to was we what when where which who why will with you your'
  ).split(' '),
);

// Each feature adds ±weight/√SPREAD to SPREAD pseudo-random dimensions (a sparse random projection) rather than
// to one: vectors come out dense, so their sign bits behave like SimHash and binary-quantized KNN finds
// good candidates. With one slot per feature most dimensions are zero and the sign bits carry little.
const SPREAD = 64;

/** FNV-1a, 32-bit: fast, stable across platforms and releases (vectors are persisted). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** The words of a text without stop words (all words when it has nothing else, e.g. "who is it"). */
export function contentWords(text: string): string[] {
  const all = tokenize(text);
  const content = all.filter((w) => !STOP_WORDS.has(w));
  return content.length > 0 ? content : all;
}

/**
 * The built-in offline embedder. It is LEXICAL, not semantic: word unigrams, word bigrams and character
 * trigrams of the words that are not stop words, feature-hashed (each into SPREAD signed dimensions),
 * L2-normalized. Texts sharing words or word
 * fragments land close together; paraphrases with no shared vocabulary do not. It needs no model, no
 * network, and is deterministic, which makes it the embedded default and a fair test double for real
 * embedders.
 */
export class LexicalEmbedder implements Embedder {
  readonly id = 'lexical-v2';
  readonly semantic = false;
  readonly dimension: number;

  constructor(options: LexicalEmbedderOptions = {}) {
    const dimension = options.dimension ?? 384;
    if (!Number.isInteger(dimension) || dimension < 8 || dimension > 8192 || dimension % 8 !== 0) {
      throw new RangeError(`dimension must be a multiple of 8 between 8 and 8192, got ${dimension}`);
    }
    this.dimension = dimension;
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    const add = (feature: string, weight: number): void => {
      const w = weight / Math.sqrt(SPREAD);
      // xorshift32 seeded by the feature's hash picks the dimensions and signs.
      let x = fnv1a(feature) || 1;
      for (let j = 0; j < SPREAD; j++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        const i = x % this.dimension;
        v[i] = (v[i] ?? 0) + (x & 0x80000000 ? w : -w);
      }
    };
    const words = contentWords(text);
    for (let i = 0; i < words.length; i++) {
      const word = words[i] ?? '';
      add(`w:${word}`, WEIGHT_WORD);
      const next = words[i + 1];
      if (next !== undefined) add(`b:${word} ${next}`, WEIGHT_BIGRAM);
      const padded = `<${word}>`;
      for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, WEIGHT_TRIGRAM);
    }
    return l2Normalize(v);
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return Promise.resolve(texts.map((t) => this.embedOne(t)));
  }
}
