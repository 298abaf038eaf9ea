import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { DeleteEntitiesInput, DeleteOutput } from '../../../schemas/memory/graph.ts';
import { DELETE, deleted, type RegisterTool } from './deps.ts';

export const deleteEntities: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'delete_entities',
      title: 'Delete Entities',
      description:
        'Delete multiple entities and their associated relations from the knowledge graph. They are invalidated, not erased: as_of queries still see them.',
      scope: 'write',
      input: DeleteEntitiesInput,
      output: DeleteOutput,
      annotations: DELETE,
      handler: async ({ entityNames, scope }, { caller }) => {
        await memory.graph.deleteEntities(requireAgent(caller), entityNames, scope);
        return deleted('Entities');
      },
    },
  );
