import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { FindAgentsInput, FindAgentsOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { agentWire } from '../views.ts';

export function registerFindAgents(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'find_agents',
    title: 'Find agents',
    description:
      'Lists registered agents by capability, role, part of the name, status and minimum trust (0..1, ' +
      'from the identity server), ordered by DID, a page at a time.',
    scope: 'read',
    input: FindAgentsInput,
    output: FindAgentsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args) => {
      const { agents, cursor } = await deps.agents.find({
        capability: args.capability,
        role: args.role,
        name: args.name,
        statuses: args.status,
        minTrust: args.min_trust,
        cursor: args.cursor,
        limit: args.limit,
      });
      return {
        structured: { agents: agents.map(agentWire), cursor },
        text: `${agents.length} agent(s)${cursor ? ', more with the cursor' : ''}`,
      };
    },
  });
}
