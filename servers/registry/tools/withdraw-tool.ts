import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { WithdrawToolInput, WithdrawToolOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { toolWire } from '../views.ts';

export function registerWithdrawTool(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'withdraw_tool',
    title: 'Withdraw tool',
    description: 'Removes a tool you published from the registry. Only its author can.',
    scope: 'write',
    input: WithdrawToolInput,
    output: WithdrawToolOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async ({ id }, { caller }) => {
      const tool = await deps.tools.withdraw(requireAgent(caller), id);
      return { structured: { withdrawn: toolWire(tool) }, text: `withdrew ${tool.name}@${tool.version}` };
    },
  });
}
