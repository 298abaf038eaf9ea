import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetToolPackageInput, GetToolPackageOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { toolWire } from '../views.ts';

export function registerGetToolPackage(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_tool_package',
    title: 'Get tool package',
    description:
      "A sandboxed tool's signed manifest and code, to install: check the author's signature over the " +
      "manifest and the code's SHA-256 against its entrySha256 before running it.",
    scope: 'read',
    input: GetToolPackageInput,
    output: GetToolPackageOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ id }) => {
      const { tool, code } = await deps.tools.package(id);
      return {
        structured: { tool: toolWire(tool), code },
        text: `${tool.name}@${tool.version}: ${tool.packageBytes} bytes, sha256 ${tool.packageSha256}`,
      };
    },
  });
}
