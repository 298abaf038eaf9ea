import type { MemoryRecord } from '../../../schemas/memory/record.ts';
import type { Memory } from './memory.ts';
import type { PushResult, Rejection } from './sync.ts';

/** The federation as a local memory sees it (over MCP: servers/memory/sync-client.ts). */
export interface SyncPeer {
  push(records: MemoryRecord[]): Promise<PushResult>;
  pull(
    cursor: string | null,
    limit: number,
  ): Promise<{ records: MemoryRecord[]; cursor: string | null; more: boolean; groups: string[] }>;
}

export interface SyncReport {
  pushed: number;
  pulled: number;
  /** Records the peer refused (pushed) and records left out (pulled) because their signature does not verify. */
  rejected: Rejection[];
  embedded: number;
}

/** The owner row of a group mirrored from a peer; membership there is the peer's to decide. */
const MIRROR_OWNER = 'federation';

/**
 * One round of sync between an agent's local memory and a peer: push the agent's own signed records
 * appended since the last push, then pull everything new the peer shows the agent, mirror its group
 * memberships, and embed pulled notes. Cursors persist in the local store, so rounds are incremental;
 * records are content-addressed, so a repeated or interrupted round is harmless.
 */
export async function syncWithPeer(
  memory: Memory,
  peerName: string,
  peer: SyncPeer,
  options: {
    batch?: number;
    /** Which of the agent's own records leave it (default: all); the rest stay local. */
    share?: (record: MemoryRecord) => boolean;
  } = {},
): Promise<SyncReport> {
  const did = memory.signer?.did;
  if (!did) throw new Error('syncing needs a memory opened with a signer (the agent identity)');
  const batch = options.batch ?? 200;
  const state = await memory.store.getSyncState(peerName);
  const report: SyncReport = { pushed: 0, pulled: 0, rejected: [], embedded: 0 };

  for (let more = true; more;) {
    const page = await memory.store.changes(did, state.pushCursor, batch);
    const share = options.share ?? (() => true);
    const own = page.items.filter((r) => r.author === did && r.signature !== undefined && share(r));
    if (own.length > 0) {
      const result = await peer.push(own.map(({ seq: _s, endedAt: _e, ...record }) => record));
      report.pushed += result.stored + result.duplicates;
      report.rejected.push(...result.rejected);
    }
    state.pushCursor = page.cursor;
    await memory.store.setSyncState(peerName, state);
    more = page.more;
  }

  for (let more = true; more;) {
    const page = await peer.pull(state.pullCursor, batch);
    await mirrorGroups(memory, did, page.groups);
    const ingested = await memory.sync.ingest(page.records);
    report.pulled += ingested.stored.length;
    report.rejected.push(...ingested.rejected);
    state.pullCursor = page.cursor;
    await memory.store.setSyncState(peerName, state);
    more = page.more;
  }
  report.embedded = (await memory.notes.reembed(Number.MAX_SAFE_INTEGER)).embedded;
  return report;
}

async function mirrorGroups(memory: Memory, did: string, groups: readonly string[]): Promise<void> {
  const now = Date.now();
  for (const group of groups) {
    await memory.store.createGroup(group, MIRROR_OWNER, now);
    await memory.store.setMember(group, did, true, now);
  }
  for (const group of await memory.store.groupsOf(did)) {
    if (!groups.includes(group)) await memory.store.setMember(group, did, false, now);
  }
}
