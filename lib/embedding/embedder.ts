/**
 * Turns texts into fixed-size vectors. Stores keep vectors per `id` and `dimension`, so two embedders (or one
 * model at two sizes) never share a vector space: a changed embedder is detected, not silently mixed.
 */
export interface Embedder {
  /** Stable name of the vector space, e.g. `lexical-v2` or `ollama:nomic-embed-text`. */
  readonly id: string;
  readonly dimension: number;
  /**
   * Whether nearby vectors mean related meaning (a language model's embeddings), rather than shared words
   * (the lexical embedder): what recall can find depends on it, so status reports it.
   */
  readonly semantic: boolean;
  /** One vector per text, in order; each of length `dimension`. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Scales `v` in place to unit length (a zero vector stays zero). */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  return v;
}

/** Cosine similarity of two unit vectors (their dot product). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}
