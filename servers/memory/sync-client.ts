import type { Client } from '@modelcontextprotocol/client';
import { memoryClient } from '../../lib/clients/memory.ts';
import type { SyncPeer } from './domain/sync-peer.ts';

/**
 * The federation's memory server as a sync peer, over any MCP client (the hub, where the tools are
 * `memory__sync_push`, or the memory server itself). `prefix` is prepended to the tool names.
 */
export function mcpSyncPeer(client: Client, prefix = ''): SyncPeer {
  const memory = memoryClient(client, { prefix });
  return {
    push: (records) => memory.syncPush({ records }),
    pull: (cursor, limit) => memory.syncPull({ limit, ...(cursor === null ? {} : { cursor }) }),
  };
}
