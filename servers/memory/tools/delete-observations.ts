import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { DeleteObservationsInput, DeleteOutput } from '../../../schemas/memory/graph.ts';
import { DELETE, deleted, type RegisterTool } from './deps.ts';

export const deleteObservations: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'delete_observations',
      title: 'Delete Observations',
      description:
        'Delete specific observations from entities in the knowledge graph (invalidated, kept in history).',
      scope: 'write',
      input: DeleteObservationsInput,
      output: DeleteOutput,
      annotations: DELETE,
      handler: async ({ deletions }, { caller }) => {
        await memory.graph.deleteObservations(requireAgent(caller), deletions);
        return deleted('Observations');
      },
    },
  );
