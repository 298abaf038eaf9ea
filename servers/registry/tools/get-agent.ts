import type { McpServer } from '@modelcontextprotocol/server';
import { PlexusError } from '../../../lib/errors.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetAgentInput, GetAgentOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { agentWire } from '../views.ts';

export function registerGetAgent(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_agent',
    title: 'Get agent',
    description: 'One registered agent: its signed card, status, load, last heartbeat and trust.',
    scope: 'read',
    input: GetAgentInput,
    output: GetAgentOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ did }) => {
      const agent = await deps.agents.get(did);
      if (!agent) {
        throw new PlexusError('not_found', 'agent_not_found', `${did} is not registered`, { field: 'did' });
      }
      return {
        structured: { agent: agentWire(agent) },
        text: `${agent.name} (${agent.did}) is ${agent.status}`,
      };
    },
  });
}
