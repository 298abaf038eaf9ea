import path from 'node:path';
import { identityClient } from '../../lib/clients/identity.ts';
import { SigningKeys } from '../../lib/identity/signing-keys.ts';
import type { Logger } from '../../lib/log.ts';
import type { Client } from '@modelcontextprotocol/client';
import { MAX_EPISODE_LENGTH, type Scope } from '../../schemas/memory.ts';
import { MAX_NOTE_LENGTH } from '../../schemas/memory/record.ts';
import type { Metadata } from '../../schemas/memory/record.ts';
import { openSqliteMemory, type Memory } from '../../servers/memory/domain/memory.ts';
import type { RecallHit } from '../../servers/memory/domain/notes.ts';
import type { RecordSigner } from '../../servers/memory/domain/records.ts';
import type { EpisodeView } from '../../servers/memory/domain/episodes.ts';
import { syncWithPeer, type SyncReport } from '../../servers/memory/domain/sync-peer.ts';
import { mcpSyncPeer } from '../../servers/memory/sync-client.ts';

const PRIVATE: Scope = { kind: 'private' };
const FEDERATION = 'hub';
/** How long an author's keys are trusted before its identity log is read again (a revocation reaches sync). */
const KEYS_MAX_AGE_MS = 60_000;

/**
 * The agent's local memory (`<storage>/memory.db`, the memory server's own domain code): episodes of every
 * conversation and task, notes worth keeping, and sync with the federation's memory server through the hub.
 * Records are signed with the agent's key when one is given, which is what lets them be pushed.
 */
export class LoopMemory {
  readonly memory: Memory;
  readonly #did: string;
  /** The hub of the last sync: pulled records are checked against their authors' identity logs through it. */
  #hub: Client | null = null;

  constructor(options: {
    dataDir: string;
    did: string;
    signer?: RecordSigner | undefined;
    log?: Logger | undefined;
  }) {
    this.#did = options.did;
    this.memory = openSqliteMemory({
      path: path.join(options.dataDir, 'memory.db'),
      log: options.log,
      ...(options.signer ? { signer: options.signer } : {}),
      keys: new SigningKeys({
        identity: () => (this.#hub ? identityClient(this.#hub, { prefix: 'identity__' }) : null),
        maxAgeMs: KEYS_MAX_AGE_MS,
      }),
    });
  }

  get canSync(): boolean {
    return this.memory.signer !== undefined;
  }

  episode(thread: string, role: string, content: string, metadata?: Metadata): Promise<EpisodeView> {
    return this.memory.episodes.record(this.#did, {
      thread,
      role,
      content: clip(content || '(empty)', MAX_EPISODE_LENGTH),
      scope: PRIVATE,
      ...(metadata ? { metadata } : {}),
    });
  }

  /** The last `n` episodes of a thread, oldest first. */
  async recent(thread: string, n: number): Promise<EpisodeView[]> {
    if (n === 0) return [];
    const page = await this.memory.episodes.query(this.#did, { thread, order: 'desc', limit: n });
    return page.items.reverse();
  }

  episodes(thread: string): Promise<EpisodeView[]> {
    return this.memory.episodes.query(this.#did, { thread, limit: 500 }).then((page) => page.items);
  }

  recall(query: string, k: number): Promise<RecallHit[]> {
    if (k === 0 || !query.trim()) return Promise.resolve([]);
    return this.memory.notes.recall(this.#did, { query: query.slice(0, 4000), k });
  }

  remember(text: string, scope: Scope = PRIVATE, metadata?: Metadata): Promise<RecallHit> {
    return this.memory.notes.remember(this.#did, {
      text: clip(text, MAX_NOTE_LENGTH),
      scope,
      ...(metadata ? { metadata } : {}),
    });
  }

  /**
   * One push-then-pull round with the federation's memory server (`memory__sync_*` through the hub).
   * Private records (every conversation's episodes among them) stay on this machine unless `sharePrivate`:
   * in the federation they would be plaintext on the hub, which end-to-end encrypted chat must not leave
   * behind. Records are passed over once: private ones written before sharing was turned on stay local.
   */
  sync(hub: Client, sharePrivate: boolean): Promise<SyncReport> {
    this.#hub = hub;
    return syncWithPeer(this.memory, FEDERATION, mcpSyncPeer(hub, 'memory__'), {
      share: (record) => sharePrivate || record.scope.kind !== 'private',
    });
  }

  close(): Promise<void> {
    return this.memory.close();
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 20)}\n[… cut]`;
}
