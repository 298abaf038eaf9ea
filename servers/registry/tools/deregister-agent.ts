import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { DeregisterAgentInput, DeregisterAgentOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';

export function registerDeregisterAgent(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'deregister_agent',
    title: 'Deregister agent',
    description:
      'Removes the calling agent from the registry; its open tasks are re-dispatched to other agents. ' +
      'To pause instead, heartbeat with status offline.',
    scope: 'write',
    input: DeregisterAgentInput,
    output: DeregisterAgentOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    handler: async (_args, { caller }) => {
      const did = requireAgent(caller);
      const removed = await deps.agents.deregister(did);
      return { structured: { did, removed }, text: removed ? `removed ${did}` : `${did} was not registered` };
    },
  });
}
