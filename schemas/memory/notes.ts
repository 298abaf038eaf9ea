import { z } from 'zod';
import { Did, JsonValue, TimestampMs } from '../common.ts';
import { Provenance, Scope, Validity } from '../memory.ts';
import { ContentId, MAX_NOTE_LENGTH, Metadata } from './record.ts';

export const RememberInput = z.object({
  text: z.string().min(1).max(MAX_NOTE_LENGTH),
  metadata: Metadata.optional().describe('JSON fields recall can filter on by equality'),
  scope: Scope.optional().describe('private (default), a group, or public'),
  valid_from: TimestampMs.optional(),
  valid_to: TimestampMs.optional(),
});

export const MemoryHit = z.object({
  id: ContentId,
  text: z.string(),
  metadata: z.record(z.string(), JsonValue).optional(),
  score: z.number().describe('Fused RRF score in hybrid mode; higher is better'),
  bm25_rank: z.int().nullable(),
  vector_rank: z.int().nullable(),
  similarity: z.number().nullable().describe('Cosine similarity in the active embedder space'),
  scope: Scope,
  provenance: Provenance,
  validity: Validity,
});
export const RememberOutput = z.object({ item: MemoryHit });

export const RecallInput = z.object({
  query: z.string().min(1).max(4000),
  k: z.int().min(1).max(100).optional().describe('How many items (default 10)'),
  mode: z
    .enum(['hybrid', 'bm25', 'vector'])
    .optional()
    .describe('hybrid (default) fuses BM25 and vector rankings with reciprocal rank fusion'),
  scope: Scope.optional(),
  author: Did.optional(),
  filter: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are letters, digits and . _ -'),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .optional()
    .describe('metadata.<key> must equal the value'),
});
export const RecallOutput = z.object({ items: z.array(MemoryHit) });

export const ForgetInput = z.object({
  ids: z.array(ContentId).min(1).max(500),
  reason: z.string().min(1).max(256).optional(),
});
export const ForgetOutput = z.object({ forgotten: z.array(ContentId), not_found: z.array(ContentId) });

export const ReembedInput = z.object({
  limit: z.int().min(1).max(1_000_000).optional().describe('Default 10000'),
});
export const ReembedOutput = z.object({ embedded: z.int(), remaining: z.boolean() });

export const MemoryStatusInput = z.object({});
export const MemoryStatusOutput = z.object({
  embedder: z.string().describe('The active embedder: lexical-v2 (the built-in default) or ollama:<model>'),
  dimension: z.int(),
  semantic: z
    .boolean()
    .describe('true: recall finds related meaning; false (lexical): only shared words and word parts'),
  spaces: z.array(
    z.object({ embedder: z.string(), dimension: z.int(), vectors: z.int(), active: z.boolean() }),
  ),
  unembedded: z
    .boolean()
    .describe('Some current notes lack a vector in the active space: run reembed_memories'),
});
