import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { AddObservationsInput, AddObservationsOutput } from '../../../schemas/memory/graph.ts';
import { REFERENCE_ERRORS, WRITE, asJson, type RegisterTool } from './deps.ts';

export const addObservations: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'add_observations',
      title: 'Add Observations',
      description:
        'Add new observations to existing entities in the knowledge graph. `replaces` invalidates observations the new ones contradict. Fails as a whole if an entity does not exist.',
      scope: 'write',
      input: AddObservationsInput,
      output: AddObservationsOutput,
      annotations: WRITE,
      plainErrors: REFERENCE_ERRORS,
      handler: async ({ observations }, { caller }) => {
        const results = await memory.graph.addObservations(requireAgent(caller), observations);
        return { structured: { results }, text: asJson(results) };
      },
    },
  );
