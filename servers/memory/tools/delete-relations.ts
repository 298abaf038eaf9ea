import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { DeleteOutput, DeleteRelationsInput } from '../../../schemas/memory/graph.ts';
import { DELETE, deleted, type RegisterTool } from './deps.ts';

export const deleteRelations: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'delete_relations',
      title: 'Delete Relations',
      description: 'Delete multiple relations from the knowledge graph (invalidated, kept in history).',
      scope: 'write',
      input: DeleteRelationsInput,
      output: DeleteOutput,
      annotations: DELETE,
      handler: async ({ relations, scope }, { caller }) => {
        await memory.graph.deleteRelations(requireAgent(caller), relations, scope);
        return deleted('Relations');
      },
    },
  );
