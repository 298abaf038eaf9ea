import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { HeartbeatInput, HeartbeatOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';
import { agentWire } from '../views.ts';

export function registerHeartbeat(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'heartbeat',
    title: 'Heartbeat',
    description:
      'Tells the registry the calling agent is alive, how loaded it is (0..1) and how many tasks it holds. ' +
      'Agents that stay silent turn stale, then offline (their tasks move on). status offline signs off.',
    scope: 'write',
    input: HeartbeatInput,
    output: HeartbeatOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ status, load, active_tasks }, { caller }) => {
      const agent = await deps.agents.heartbeat(requireAgent(caller), {
        status,
        load,
        activeTasks: active_tasks,
      });
      return {
        structured: { agent: agentWire(agent), next_heartbeat_ms: deps.settings.heartbeatIntervalMs },
        text: `${agent.did} is ${agent.status} (load ${agent.load})`,
      };
    },
  });
}
