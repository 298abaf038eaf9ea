import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { CreateGroupInput, GroupOutput } from '../../../schemas/memory/groups.ts';
import { WRITE, type RegisterTool } from './deps.ts';

export const createGroup: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'create_group',
      title: 'Create Memory Group',
      description: 'Create a sharing group for group-scoped memory; you become its owner and first member.',
      scope: 'write',
      input: CreateGroupInput,
      output: GroupOutput,
      annotations: WRITE,
      handler: async ({ name }, { caller }) => {
        const group = await memory.groups.create(requireAgent(caller), name);
        return { structured: { group }, text: `created group ${name}` };
      },
    },
  );
