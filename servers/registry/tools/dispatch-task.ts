import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { DispatchTaskInput, DispatchTaskOutput } from '../../../schemas/registry/tools.ts';
import { taskView } from '../domain/dispatcher.ts';
import type { RegistryDeps } from '../server.ts';

export function registerDispatchTask(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'dispatch_task',
    title: 'Dispatch task',
    description:
      'Hands a task to an online agent that has the capability: preferred agents first, then the most ' +
      'trusted, then the least loaded. The agent gets a task/assign envelope signed by the registry. If it ' +
      'goes offline, misses the deadline or rejects, the task moves on, up to max_attempts, then fails.',
    scope: 'write',
    input: DispatchTaskInput,
    output: DispatchTaskOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handler: async (args, { caller }) => {
      const task = await deps.dispatcher.dispatch(requireAgent(caller), {
        capability: args.capability,
        input: args.input,
        deadline: args.deadline,
        preferredAgents: args.preferred_agents,
        maxAttempts: args.max_attempts,
      });
      return {
        structured: { task: taskView(task), registry_did: deps.dispatcher.serviceDid },
        text: `task ${task.id} (${task.capability}) assigned to ${task.assignee}`,
      };
    },
  });
}
