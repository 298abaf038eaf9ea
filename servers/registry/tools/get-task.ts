import type { McpServer } from '@modelcontextprotocol/server';
import { hasScope } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetTaskInput, GetTaskOutput } from '../../../schemas/registry/tools.ts';
import { taskView } from '../domain/dispatcher.ts';
import type { RegistryDeps } from '../server.ts';

export function registerGetTask(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_task',
    title: 'Get task',
    description: 'A task you requested or hold (operators: any task), with its state, result and history.',
    scope: 'read',
    input: GetTaskInput,
    output: GetTaskOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ id }, { caller }) => {
      const task = await deps.dispatcher.get(
        { subject: caller.subject, admin: hasScope(caller, 'admin') },
        id,
      );
      return { structured: { task: taskView(task) }, text: `task ${task.id} is ${task.state}` };
    },
  });
}
