import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GraphOutput, OpenNodesInput } from '../../../schemas/memory/graph.ts';
import { READ, asJson, type RegisterTool } from './deps.ts';

export const openNodes: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'open_nodes',
      title: 'Open Nodes',
      description: 'Open specific nodes in the knowledge graph by their names, with relations touching them.',
      scope: 'read',
      input: OpenNodesInput,
      output: GraphOutput,
      annotations: READ,
      handler: async ({ names, as_of, scope, detail }, { caller }) => {
        const graph = await memory.graph.openNodes(caller.subject, names, { asOf: as_of, scope, detail });
        return { structured: graph, text: asJson(graph) };
      },
    },
  );
