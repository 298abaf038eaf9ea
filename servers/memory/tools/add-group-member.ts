import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { GroupMemberInput, GroupMemberOutput } from '../../../schemas/memory/groups.ts';
import { WRITE, type RegisterTool } from './deps.ts';

export const addGroupMember: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'add_group_member',
      title: 'Add Group Member',
      description: "Add an agent to a group you own; it can then read and write the group's memory.",
      scope: 'write',
      input: GroupMemberInput,
      output: GroupMemberOutput,
      annotations: { ...WRITE, idempotentHint: true },
      handler: async ({ group, member }, { caller }) => {
        const result = await memory.groups.setMember(requireAgent(caller), group, member, true);
        const { changed, ...view } = result;
        return {
          structured: { group: view, changed },
          text: `${member} ${changed ? 'added to' : 'already in'} ${group}`,
        };
      },
    },
  );
