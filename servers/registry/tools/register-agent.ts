import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { RegisterAgentInput, RegisterAgentOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { agentWire } from '../views.ts';

export function registerRegisterAgent(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'register_agent',
    title: 'Register agent',
    description:
      'Registers (or updates) the calling agent from its own signed Agent Card and marks it online. ' +
      'card.did must be the caller; the signature is checked against its current key; a revoked DID is refused.',
    scope: 'write',
    input: RegisterAgentInput,
    output: RegisterAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ card }, { caller }) => {
      const { agent, created } = await deps.agents.register(requireAgent(caller), card);
      return {
        structured: { agent: agentWire(agent), created },
        text: `${created ? 'registered' : 'updated'} ${agent.name} (${agent.did}), online`,
      };
    },
  });
}
