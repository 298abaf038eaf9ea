import type { Client } from '@modelcontextprotocol/client';
import { PlexusError } from '../../lib/errors.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { SyncPullOutput, SyncPushOutput } from '../../schemas/memory/sync.ts';
import type { SyncPeer } from './domain/sync-peer.ts';

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<unknown> {
  const result = await client.callTool({ name, arguments: args });
  const error = toolErrorOf(result);
  if (error) {
    throw new PlexusError('unavailable', `sync_${error.code}`, `${name} failed: ${error.message}`, {
      ...(error.hint ? { hint: error.hint } : {}),
    });
  }
  return result.structuredContent;
}

/**
 * The federation's memory server as a sync peer, over any MCP client (the hub, where the tools are
 * `memory__sync_push`, or the memory server itself). `prefix` is prepended to the tool names.
 */
export function mcpSyncPeer(client: Client, prefix = ''): SyncPeer {
  return {
    async push(records) {
      return SyncPushOutput.parse(await callTool(client, `${prefix}sync_push`, { records }));
    },
    async pull(cursor, limit) {
      const page = SyncPullOutput.parse(
        await callTool(client, `${prefix}sync_pull`, { limit, ...(cursor === null ? {} : { cursor }) }),
      );
      return page;
    },
  };
}
