import { join } from 'node:path';
import { z } from 'zod';
import { identityClient } from '../../lib/clients/identity.ts';
import { SiblingLink } from '../../lib/clients/sibling-link.ts';
import type { Embedder } from '../../lib/embedding/embedder.ts';
import { LexicalEmbedder } from '../../lib/embedding/lexical.ts';
import { OllamaEmbedder } from '../../lib/embedding/ollama.ts';
import { SigningKeys } from '../../lib/identity/signing-keys.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { Memory } from './domain/memory.ts';
import { PgMemoryStore } from './domain/store-pg.ts';
import { SqliteMemoryStore } from './domain/store-sqlite.ts';
import { buildServer } from './server.ts';

const Dimension = z.int().min(8).max(8192).multipleOf(8);

/** The `memory` section of the config file. */
export const MemorySettings = z.strictObject({
  /** SQLite file, relative to the data dir. */
  file: z.string().min(1).default('memory.db'),
  embedder: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('lexical'), dimension: Dimension.default(384) }),
      z.strictObject({
        kind: z.literal('ollama'),
        host: z.url().default('http://127.0.0.1:11434'),
        model: z.string().min(1).default('nomic-embed-text'),
        dimension: Dimension,
      }),
    ])
    .default({ kind: 'lexical', dimension: 384 }),
  /** How long an author's keys (from its identity log) are trusted before they are looked up again. */
  keysCacheMs: z.int().min(0).max(86_400_000).default(60_000),
});
export type MemorySettings = z.infer<typeof MemorySettings>;

export function embedderFrom(settings: MemorySettings['embedder']): Embedder {
  return settings.kind === 'lexical'
    ? new LexicalEmbedder({ dimension: settings.dimension })
    : new OllamaEmbedder({ host: settings.host, model: settings.model, dimension: settings.dimension });
}

export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(MemorySettings, ctx.settings ?? {}, 'memory');
  // Scaled out, state lives in PostgreSQL (exact vector scan: see store-pg.ts); embedded, in SQLite.
  const store = ctx.databaseUrl
    ? await PgMemoryStore.open(ctx.databaseUrl)
    : new SqliteMemoryStore({ path: join(ctx.dataDir, settings.file), log: ctx.log });
  // Records arriving by sync are checked against their authors' identity logs: after a rotation, the
  // current key signs; without an identity server beside it, each author's did:key alone.
  const identity = new SiblingLink({
    name: 'identity',
    connect: () => ctx.connect('identity'),
    typed: identityClient,
    log: ctx.log,
    now: ctx.now,
  });
  const memory = new Memory({
    store,
    embedder: embedderFrom(settings.embedder),
    now: ctx.now,
    keys: new SigningKeys({
      identity: () => identity.client(),
      maxAgeMs: settings.keysCacheMs,
      now: ctx.now,
    }),
  });
  // Loaded before serving: built on the first recall instead, it would stall every request for as long.
  const warming = performance.now();
  await memory.notes.warm();
  ctx.log.info(
    {
      vectorsLoadedMs: Math.round(performance.now() - warming),
      embedder: memory.embedder.id,
      dimension: memory.embedder.dimension,
      store: ctx.databaseUrl ? 'postgres' : 'sqlite',
      // Said at startup so operators know what recall costs: PostgreSQL scans vectors exactly (pgvector is not
      // used yet); SQLite keeps an in-memory sign-bit + int8 index over its float vectors.
      vectors: ctx.databaseUrl ? 'exact scan' : 'in-memory index (sign bits, int8 and float rescoring)',
    },
    'memory ready',
  );
  return {
    createServer: () => buildServer({ memory, log: ctx.log }),
    close: async () => {
      await identity.close();
      await memory.close();
    },
  };
};
