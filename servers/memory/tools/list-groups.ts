import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ListGroupsInput, ListGroupsOutput } from '../../../schemas/memory/groups.ts';
import { READ, type RegisterTool } from './deps.ts';

export const listGroups: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'list_groups',
      title: 'List Memory Groups',
      description: 'The groups you belong to, with owners and members.',
      scope: 'read',
      input: ListGroupsInput,
      output: ListGroupsOutput,
      annotations: READ,
      handler: async (_args, { caller }) => {
        const groups = await memory.groups.list(caller.subject);
        return { structured: { groups }, text: groups.map((g) => g.name).join(', ') || 'no groups' };
      },
    },
  );
