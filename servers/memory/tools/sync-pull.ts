import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { SyncPullInput, SyncPullOutput } from '../../../schemas/memory/sync.ts';
import { READ, type RegisterTool } from './deps.ts';

export const syncPull: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'sync_pull',
      title: 'Pull Memory Records',
      description:
        'Every memory record that became visible to you after the cursor (new records, and the older records ' +
        'of a group you joined since), oldest first, with your groups.',
      scope: 'read',
      input: SyncPullInput,
      output: SyncPullOutput,
      annotations: READ,
      handler: async ({ cursor, limit }, { caller }) => {
        const page = await memory.sync.pull(caller.subject, cursor ?? null, limit ?? 200);
        return {
          structured: { records: page.items, cursor: page.cursor, more: page.more, groups: page.groups },
          text: `${page.items.length} records${page.more ? ' (more)' : ''}`,
        };
      },
    },
  );
