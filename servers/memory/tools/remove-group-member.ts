import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { GroupMemberInput, GroupMemberOutput } from '../../../schemas/memory/groups.ts';
import { DELETE, type RegisterTool } from './deps.ts';

export const removeGroupMember: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'remove_group_member',
      title: 'Remove Group Member',
      description: 'Remove an agent from a group you own, or leave a group yourself.',
      scope: 'write',
      input: GroupMemberInput,
      output: GroupMemberOutput,
      annotations: DELETE,
      handler: async ({ group, member }, { caller }) => {
        const result = await memory.groups.setMember(requireAgent(caller), group, member, false);
        const { changed, ...view } = result;
        return {
          structured: { group: view, changed },
          text: `${member} ${changed ? 'removed from' : 'not in'} ${group}`,
        };
      },
    },
  );
