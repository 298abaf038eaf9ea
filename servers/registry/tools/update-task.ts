import type { McpServer } from '@modelcontextprotocol/server';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { UpdateTaskInput, UpdateTaskOutput } from '../../../schemas/registry/tools.ts';
import { taskView } from '../domain/dispatcher.ts';
import type { RegistryDeps } from '../server.ts';

export function registerUpdateTask(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'update_task',
    title: 'Update task',
    description:
      'The assignee reports progress: working, input-required (say what in message), completed (with ' +
      'result), failed (with error), or rejected (the task goes to another agent).',
    scope: 'write',
    input: UpdateTaskInput,
    output: UpdateTaskOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ id, ...update }, { caller }) => {
      const task = await deps.dispatcher.update(requireAgent(caller), id, update);
      return { structured: { task: taskView(task) }, text: `task ${task.id} is ${task.state}` };
    },
  });
}
