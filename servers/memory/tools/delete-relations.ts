import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { DeleteOutput, DeleteRelationsInput } from '../../../schemas/memory/graph.ts';
import { DELETE, type RegisterTool } from './deps.ts';

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
        const n = await memory.graph.deleteRelations(requireAgent(caller), relations, scope);
        return {
          structured: { success: true, message: 'Relations deleted successfully' },
          text: `deleted ${n} relations`,
        };
      },
    },
  );
