import type { McpServer } from '@modelcontextprotocol/server';
import { invalid } from '../../../lib/errors.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ListTasksInput, ListTasksOutput } from '../../../schemas/registry/tools.ts';
import { taskView } from '../domain/dispatcher.ts';
import type { RegistryDeps } from '../server.ts';

// Cursor: `<created_at>.<id>` of the last task returned (newest first).
function parseCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(cursor);
  if (!match?.[1] || !match[2]) throw invalid('cursor', 'is not a cursor this tool returned');
  return { createdAt: Number(match[1]), id: match[2] };
}

export function registerListTasks(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'list_tasks',
    title: 'List tasks',
    description:
      'Your tasks, newest first: the ones you requested (role requester) or the ones assigned to you ' +
      '(role assignee; an agent that missed a task/assign envelope finds it here).',
    scope: 'read',
    input: ListTasksInput,
    output: ListTasksOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args, { caller }) => {
      const did = requireAgent(caller);
      const tasks = await deps.dispatcher.list({
        ...(args.role === 'requester' ? { requester: did } : { assignee: did }),
        states: args.states,
        capability: args.capability,
        before: args.cursor === undefined ? undefined : parseCursor(args.cursor),
        limit: args.limit + 1,
      });
      const page = tasks.slice(0, args.limit);
      const last = page.at(-1);
      const cursor = tasks.length > args.limit && last ? `${last.createdAt}.${last.id}` : null;
      return {
        structured: { tasks: page.map(taskView), cursor },
        text: `${page.length} task(s)${cursor ? ', more with the cursor' : ''}`,
      };
    },
  });
}
