import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { CreateRelationsInput, CreateRelationsOutput } from '../../../schemas/memory/graph.ts';
import { PRIVATE, WRITE, asJson, type RegisterTool } from './deps.ts';

export const createRelations: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'create_relations',
      title: 'Create Relations',
      description:
        'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice. Existing ones are skipped; returns those created.',
      scope: 'write',
      input: CreateRelationsInput,
      output: CreateRelationsOutput,
      annotations: WRITE,
      handler: async ({ relations, scope }, { caller }) => {
        const created = await memory.graph.createRelations(requireAgent(caller), relations, scope ?? PRIVATE);
        return { structured: { relations: created }, text: asJson(created) };
      },
    },
  );
