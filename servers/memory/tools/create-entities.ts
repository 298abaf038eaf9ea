import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { CreateEntitiesInput, CreateEntitiesOutput } from '../../../schemas/memory/graph.ts';
import { PRIVATE, WRITE, asJson, type RegisterTool } from './deps.ts';

export const createEntities: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'create_entities',
      title: 'Create Entities',
      description:
        'Create multiple new entities in the knowledge graph. Names already present in the scope are skipped; returns the entities created.',
      scope: 'write',
      input: CreateEntitiesInput,
      output: CreateEntitiesOutput,
      annotations: WRITE,
      handler: async ({ entities, scope }, { caller }) => {
        const created = await memory.graph.createEntities(requireAgent(caller), entities, scope ?? PRIVATE);
        return { structured: { entities: created }, text: asJson(created) };
      },
    },
  );
