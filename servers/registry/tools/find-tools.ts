import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { FindToolsInput, FindToolsOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { toolWire } from '../views.ts';

export function registerFindTools(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'find_tools',
    title: 'Find tools',
    description:
      'Searches published tools: words in query must all match (prefixes count) the name, description or ' +
      'capabilities, best matches first; filter by exact name, capability, kind (manifest | mcp_server) and author.',
    scope: 'read',
    input: FindToolsInput,
    output: FindToolsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args) => {
      const { tools, total } = await deps.tools.find({
        text: args.query,
        name: args.name,
        capability: args.capability,
        kind: args.kind,
        author: args.author,
        offset: args.offset,
        limit: args.limit,
      });
      const end = args.offset + tools.length;
      return {
        structured: { tools: tools.map(toolWire), total, next_offset: end < total ? end : null },
        text: `${tools.length} of ${total} tool(s)`,
      };
    },
  });
}
