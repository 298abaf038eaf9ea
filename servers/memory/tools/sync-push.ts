import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { SyncPushInput, SyncPushOutput } from '../../../schemas/memory/sync.ts';
import { WRITE, type RegisterTool } from './deps.ts';

export const syncPush: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'sync_push',
      title: 'Push Memory Records',
      description:
        'Store memory records signed by their authors. Each is checked (content id, signature, scope); bad ones are rejected individually. Pushing a record again is a no-op.',
      scope: 'write',
      input: SyncPushInput,
      output: SyncPushOutput,
      annotations: { ...WRITE, idempotentHint: true },
      handler: async ({ records }, { caller }) => {
        const result = await memory.sync.push(requireAgent(caller), records);
        return {
          structured: result,
          text: `stored ${result.stored}, duplicates ${result.duplicates}, rejected ${result.rejected.length}`,
        };
      },
    },
  );
