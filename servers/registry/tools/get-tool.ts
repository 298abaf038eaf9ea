import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetToolInput, GetToolOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { toolWire } from '../views.ts';

export function registerGetTool(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_tool',
    title: 'Get tool',
    description: 'One published tool with its signed manifest or listing, to verify and install.',
    scope: 'read',
    input: GetToolInput,
    output: GetToolOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ id }) => {
      const tool = await deps.tools.get(id);
      return { structured: { tool: toolWire(tool) }, text: `${tool.name}@${tool.version} by ${tool.author}` };
    },
  });
}
