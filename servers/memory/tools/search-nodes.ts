import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GraphOutput, SearchNodesInput } from '../../../schemas/memory/graph.ts';
import { READ, asJson, type RegisterTool } from './deps.ts';

export const searchNodes: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'search_nodes',
      title: 'Search Nodes',
      description:
        'Search for nodes in the knowledge graph based on a query (case-insensitive substring of names, types and observations); includes relations touching them.',
      scope: 'read',
      input: SearchNodesInput,
      output: GraphOutput,
      annotations: READ,
      handler: async ({ query, as_of, scope, detail }, { caller }) => {
        const graph = await memory.graph.searchNodes(caller.subject, query, { asOf: as_of, scope, detail });
        return { structured: graph, text: asJson(graph) };
      },
    },
  );
