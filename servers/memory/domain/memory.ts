import type { Embedder } from '../../../lib/embedding/embedder.ts';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import { SigningKeys } from '../../../lib/identity/signing-keys.ts';
import type { Logger } from '../../../lib/log.ts';
import type { MemoryContext } from './context.ts';
import { EpisodicArchive } from './episodes.ts';
import { KnowledgeGraph } from './graph.ts';
import { Groups } from './groups.ts';
import { SemanticMemory } from './notes.ts';
import type { RecordKeys, RecordSigner } from './records.ts';
import type { MemoryStore } from './store.ts';
import { SqliteMemoryStore } from './store-sqlite.ts';
import { Sync } from './sync.ts';

export interface MemoryOptions {
  store: MemoryStore;
  /** Default: the built-in lexical embedder at 384 dimensions. */
  embedder?: Embedder;
  now?: () => number;
  /** An agent's own identity: its records are signed so they can be pushed to the federation. */
  signer?: RecordSigner;
  /** Authors' signing keys from their identity logs; default: each author's did:key alone. */
  keys?: RecordKeys;
}

/**
 * All of memory over one store: the federation server's tools call it, and an agent host uses the same
 * class for its local memory (with a signer) plus `syncWithPeer` to exchange records with the federation.
 */
export class Memory {
  readonly store: MemoryStore;
  readonly embedder: Embedder;
  readonly graph: KnowledgeGraph;
  readonly episodes: EpisodicArchive;
  readonly notes: SemanticMemory;
  readonly sync: Sync;
  readonly groups: Groups;
  readonly signer: RecordSigner | undefined;

  constructor(options: MemoryOptions) {
    const ctx: MemoryContext = {
      store: options.store,
      embedder: options.embedder ?? new LexicalEmbedder(),
      now: options.now ?? Date.now,
      signer: options.signer,
      keys: options.keys ?? new SigningKeys({ identity: () => null }),
    };
    this.store = ctx.store;
    this.embedder = ctx.embedder;
    this.signer = options.signer;
    this.graph = new KnowledgeGraph(ctx);
    this.episodes = new EpisodicArchive(ctx);
    this.notes = new SemanticMemory(ctx);
    this.sync = new Sync(ctx);
    this.groups = new Groups(ctx);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Memory in a SQLite file (the embedded default and an agent's local memory). */
export function openSqliteMemory(
  options: Omit<MemoryOptions, 'store'> & { path: string; log?: Logger | undefined },
): Memory {
  const { path, log, ...rest } = options;
  return new Memory({ ...rest, store: new SqliteMemoryStore({ path, log }) });
}
