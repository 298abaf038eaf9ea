import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { CancelTaskInput, CancelTaskOutput } from '../../../schemas/registry/tools.ts';
import { taskView } from '../domain/dispatcher.ts';
import type { RegistryDeps } from '../server.ts';

export function registerCancelTask(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'cancel_task',
    title: 'Cancel task',
    description:
      'The requester stops a task that has not finished; the assignee gets a task/cancel envelope.',
    scope: 'write',
    input: CancelTaskInput,
    output: CancelTaskOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async ({ id, reason }, { caller }) => {
      const task = await deps.dispatcher.cancel(requireAgent(caller), id, reason);
      return { structured: { task: taskView(task) }, text: `task ${task.id} canceled` };
    },
  });
}
