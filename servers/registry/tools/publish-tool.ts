import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { PublishToolInput, PublishToolOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { toolWire } from '../views.ts';

export function registerPublishTool(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'publish_tool',
    title: 'Publish tool',
    description:
      'Publishes a signed ToolManifest with its code (a sandboxed tool package, stored under its SHA-256) or a ' +
      'signed MCP server listing. The author must be the caller and the signature must verify; publishing ' +
      'the same name again updates your entry (a new version replaces the old one).',
    scope: 'write',
    input: PublishToolInput,
    output: PublishToolOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ manifest, listing, code, capabilities }, { caller }) => {
      const { tool, created } = await deps.tools.publish(requireAgent(caller), {
        manifest,
        listing,
        code,
        capabilities,
      });
      return {
        structured: { tool: toolWire(tool), created },
        text: `${created ? 'published' : 'updated'} ${tool.name}@${tool.version} (${tool.id})`,
      };
    },
  });
}
