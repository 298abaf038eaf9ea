import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GraphOutput, ReadGraphInput } from '../../../schemas/memory/graph.ts';
import { READ, asJson, type RegisterTool } from './deps.ts';

export const readGraph: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'read_graph',
      title: 'Read Graph',
      description: 'Read the entire knowledge graph you can see (optionally as it was at a past time).',
      scope: 'read',
      input: ReadGraphInput,
      output: GraphOutput,
      annotations: READ,
      handler: async ({ as_of, scope, detail }, { caller }) => {
        const graph = await memory.graph.readGraph(caller.subject, { asOf: as_of, scope, detail });
        return { structured: graph, text: asJson(graph) };
      },
    },
  );
