import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetTaskStatsInput, GetTaskStatsOutput } from '../../../schemas/registry/tools.ts';
import { TASK_STATES } from '../../../schemas/task.ts';
import type { RegistryDeps } from '../server.ts';

export function registerGetTaskStats(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_task_stats',
    title: 'Task statistics',
    description:
      "How many of the network's tasks are in each state, and how many of them were re-dispatched to " +
      'another agent (counts only; for operators).',
    scope: 'admin',
    input: GetTaskStatsInput,
    output: GetTaskStatsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async () => {
      const counts = new Map((await deps.dispatcher.counts()).map((c) => [c.state, c]));
      const states = TASK_STATES.map((state) => ({
        state,
        tasks: counts.get(state)?.tasks ?? 0,
        redispatched: counts.get(state)?.redispatched ?? 0,
      }));
      const total = states.reduce((sum, s) => sum + s.tasks, 0);
      return {
        structured: { states, total },
        text:
          states
            .filter((s) => s.tasks > 0)
            .map((s) => `${s.state} ${s.tasks}`)
            .join(', ') || 'no tasks',
      };
    },
  });
}
