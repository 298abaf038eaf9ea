import type { Scope } from '../../../schemas/memory.ts';
import type { Metadata, RecordOf } from '../../../schemas/memory/record.ts';
import {
  checkWritable,
  describe,
  endAll,
  sealRecord,
  validity,
  type MemoryContext,
  type ValidityInput,
} from './context.ts';
import { scopeKey } from './records.ts';
import { reciprocalRankFusion } from './rrf.ts';
import type { NoteFilter, Ranked, StoredRecord, VectorSpace } from './store.ts';

export type RecallMode = 'hybrid' | 'bm25' | 'vector';

export interface RecallInput {
  query: string;
  k?: number | undefined;
  mode?: RecallMode | undefined;
  scope?: Scope | undefined;
  author?: string | undefined;
  /** metadata.<key> must equal the value. */
  filter?: Readonly<Record<string, string | number | boolean>> | undefined;
}

export interface RecallHit {
  id: string;
  text: string;
  metadata?: Metadata;
  /** The fused score (RRF), or the single retriever's own score in bm25/vector mode (higher is better). */
  score: number;
  bm25_rank: number | null;
  vector_rank: number | null;
  /** Cosine similarity to the query in the active embedder's space, when the vector retriever saw it. */
  similarity: number | null;
  scope: Scope;
  provenance: { author: string; recordedAt: number };
  validity: { validFrom: number; validTo: number | null };
}

type Note = RecordOf<'note'> & StoredRecord;

/** How deep each retriever looks before fusion, relative to k. */
const POOL_FACTOR = 3;
const MIN_POOL = 30;
const EMBED_BATCH = 64;

/**
 * Semantic memory: notes embedded in the active embedder's vector space and indexed for BM25; recall fuses
 * both rankings. Vectors live per (embedder, dimension) space, so switching embedders never compares
 * vectors from different models: notes without a vector in the active space are still found by BM25 and
 * get one from `reembed`.
 */
export class SemanticMemory {
  readonly #ctx: MemoryContext;
  #space: Promise<VectorSpace> | undefined;

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx;
  }

  /** The active embedder's vector space (created on first use). */
  space(): Promise<VectorSpace> {
    this.#space ??= this.#ctx.store.space(this.#ctx.embedder.id, this.#ctx.embedder.dimension);
    return this.#space;
  }

  async remember(
    actor: string,
    input: { text: string; metadata?: Metadata | undefined; scope: Scope } & ValidityInput,
  ): Promise<RecallHit> {
    await checkWritable(this.#ctx, actor, input.scope);
    const now = this.#ctx.now();
    const [vector] = await this.#ctx.embedder.embed([input.text]);
    const space = await this.space();
    const record = sealRecord<RecordOf<'note'>>(this.#ctx, {
      kind: 'note',
      author: actor,
      scope: input.scope,
      recordedAt: now,
      ...validity(input, now),
      body: { text: input.text, ...(input.metadata ? { metadata: input.metadata } : {}) },
    });
    const stored = await this.#ctx.store.write(async (tx) => {
      const [note] = await tx.insert([record]);
      if (!note) throw new Error('note was not stored');
      if (vector) await tx.putVectors(space.id, [{ seq: note.seq, vector }]);
      return note;
    });
    return hit(stored, 1, null, null, null);
  }

  /** Loads the active space's vector index now, so the first recall does not pay for it. */
  async warm(): Promise<void> {
    await this.#ctx.store.prepareVectors(await this.space());
  }

  async recall(actor: string, input: RecallInput): Promise<RecallHit[]> {
    const k = input.k ?? 10;
    const mode = input.mode ?? 'hybrid';
    const filter: NoteFilter = {
      viewer: actor,
      at: this.#ctx.now(),
      ...(input.scope ? { scope: scopeKey(input.scope) } : {}),
      ...(input.author ? { author: input.author } : {}),
      ...(input.filter ? { metadata: input.filter } : {}),
    };
    // The vector side always looks deeper than k: binary-quantized candidates need rescoring headroom.
    const pool = mode === 'bm25' ? k : Math.max(k * POOL_FACTOR, MIN_POOL);
    const [lexical, semantic] = await Promise.all([
      mode === 'vector' ? [] : this.#ctx.store.searchText(input.query, filter, pool),
      mode === 'bm25' ? [] : this.#vectorSearch(input.query, filter, pool),
    ]);
    const similarity = new Map(semantic.map((r) => [r.record.id, r.score]));
    if (mode === 'bm25') return lexical.map((r, i) => hit(r.record, -r.score, i + 1, null, null));
    if (mode === 'vector') {
      return semantic.slice(0, k).map((r, i) => hit(r.record, r.score, null, i + 1, r.score));
    }
    return reciprocalRankFusion([lexical, semantic], (r: Ranked) => r.record.id)
      .slice(0, k)
      .map((f) =>
        hit(
          f.item.record,
          f.score,
          f.ranks[0] ?? null,
          f.ranks[1] ?? null,
          similarity.get(f.item.record.id) ?? null,
        ),
      );
  }

  async #vectorSearch(query: string, filter: NoteFilter, limit: number): Promise<Ranked[]> {
    const [vector] = await this.#ctx.embedder.embed([query]);
    if (!vector || vector.every((x) => x === 0)) return [];
    return this.#ctx.store.searchVector((await this.space()).id, vector, filter, limit);
  }

  /** Invalidates notes (they stay in history). Returns the ids forgotten; unknown or invisible ids are listed. */
  async forget(
    actor: string,
    ids: readonly string[],
    reason?: string,
  ): Promise<{ forgotten: string[]; not_found: string[] }> {
    const now = this.#ctx.now();
    return this.#ctx.store.write(async (tx) => {
      const found = (await tx.records({ kinds: ['note'], viewer: actor, at: now, ids })) as Note[];
      await endAll(this.#ctx, tx, actor, found, now, reason);
      const forgotten = new Set(found.map((n) => n.id));
      return { forgotten: [...forgotten], not_found: ids.filter((id) => !forgotten.has(id)) };
    });
  }

  /**
   * Embeds up to `limit` current notes that have no vector in the active space: after switching embedders,
   * after a sync brought notes in, or after a crash between storing a note and its vector.
   */
  async reembed(limit: number): Promise<{ embedded: number; remaining: boolean }> {
    const space = await this.space();
    let embedded = 0;
    while (embedded < limit) {
      const batch = await this.#ctx.store.unembedded(space.id, Math.min(EMBED_BATCH, limit - embedded));
      if (batch.length === 0) return { embedded, remaining: false };
      const vectors = await this.#ctx.embedder.embed(batch.map((n) => (n as Note).body.text));
      await this.#ctx.store.putVectors(
        space.id,
        batch.map((n, i) => ({ seq: n.seq, vector: vectors[i] ?? new Float32Array(space.dimension) })),
      );
      embedded += batch.length;
    }
    return { embedded, remaining: (await this.#ctx.store.unembedded(space.id, 1)).length > 0 };
  }

  async status(): Promise<{
    embedder: string;
    dimension: number;
    semantic: boolean;
    spaces: { embedder: string; dimension: number; vectors: number; active: boolean }[];
    unembedded: boolean;
  }> {
    const active = await this.space();
    const spaces = await this.#ctx.store.spaces();
    return {
      embedder: active.embedder,
      dimension: active.dimension,
      semantic: this.#ctx.embedder.semantic,
      spaces: spaces.map((s) => ({
        embedder: s.embedder,
        dimension: s.dimension,
        vectors: s.vectors,
        active: s.id === active.id,
      })),
      unembedded: (await this.#ctx.store.unembedded(active.id, 1)).length > 0,
    };
  }
}

function hit(
  record: StoredRecord,
  score: number,
  bm25Rank: number | null,
  vectorRank: number | null,
  similarity: number | null,
): RecallHit {
  const { body } = record as Note;
  const { id, scope, provenance, validity: valid } = describe(record);
  return {
    id,
    text: body.text,
    ...(body.metadata ? { metadata: body.metadata } : {}),
    score,
    bm25_rank: bm25Rank,
    vector_rank: vectorRank,
    similarity,
    scope,
    provenance,
    validity: valid,
  };
}
