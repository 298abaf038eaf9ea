import { GraphOutput, ReadGraphInput, SearchNodesInput } from '../../schemas/memory/graph.ts';
import {
  MemoryStatusInput,
  MemoryStatusOutput,
  RecallInput,
  RecallOutput,
  RememberInput,
  RememberOutput,
} from '../../schemas/memory/notes.ts';
import { SyncPullInput, SyncPullOutput, SyncPushInput, SyncPushOutput } from '../../schemas/memory/sync.ts';
import { contract, defineClient } from './typed-client.ts';

/**
 * The memory server's tools other Plexus parts call: an agent's own memory syncing with the federation, and
 * the CLI's `plexus memory` and `plexus status`.
 */
export const memoryClient = defineClient('memory', {
  syncPush: contract('sync_push', SyncPushInput, SyncPushOutput),
  syncPull: contract('sync_pull', SyncPullInput, SyncPullOutput),
  remember: contract('remember', RememberInput, RememberOutput),
  recall: contract('recall', RecallInput, RecallOutput),
  readGraph: contract('read_graph', ReadGraphInput, GraphOutput),
  searchNodes: contract('search_nodes', SearchNodesInput, GraphOutput),
  getMemoryStatus: contract('get_memory_status', MemoryStatusInput, MemoryStatusOutput),
});

export type MemoryClient = ReturnType<typeof memoryClient>;
