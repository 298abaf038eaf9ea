import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { JsonValue } from '../../../schemas/common.ts';
import { Schedule, WorkflowName, WorkflowRun } from '../../../schemas/automation/tools.ts';
import type { Automation } from '../domain/automation.ts';

/** Running workflows now or on an interval, and reading their history. */
export function registerRunTools(server: McpServer, host: ToolHost, automation: Automation): void {
  defineTool(server, host, {
    name: 'run_workflow',
    title: 'Run a workflow',
    description:
      'Runs a workflow now and returns every step result; a failed step stops the run and is named.',
    scope: 'write',
    input: z.object({ name: WorkflowName, input: JsonValue.default({}) }),
    output: WorkflowRun,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async ({ name, input }, { signal }) => {
      const run = await automation.run(name, input, 'manual', signal);
      const text =
        run.status === 'succeeded'
          ? `${name}: ${run.steps.length} steps succeeded`
          : `${name}: failed at step ${run.failed_step}: ${run.steps.find((s) => s.id === run.failed_step)?.error ?? ''}`;
      return { structured: run, text };
    },
  });

  defineTool(server, host, {
    name: 'schedule_workflow',
    title: 'Schedule a workflow',
    description: 'Runs a workflow every N seconds with the given input (replacing an earlier schedule).',
    scope: 'write',
    input: z.object({
      name: WorkflowName,
      every_seconds: z
        .number()
        .int()
        .min(1)
        .max(31 * 86400),
      input: JsonValue.default({}),
    }),
    output: Schedule,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async ({ name, every_seconds, input }) => {
      const schedule = automation.schedule(name, every_seconds, input);
      return { structured: schedule, text: `${name} runs every ${every_seconds} s` };
    },
  });

  defineTool(server, host, {
    name: 'unschedule_workflow',
    title: 'Unschedule a workflow',
    description: 'Stops a workflow’s scheduled runs.',
    scope: 'write',
    input: z.object({ name: WorkflowName }),
    output: z.object({ name: z.string(), was_scheduled: z.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ name }) => {
      const was = automation.unschedule(name);
      return {
        structured: { name, was_scheduled: was },
        text: was ? `${name} unscheduled` : `${name} was not scheduled`,
      };
    },
  });

  defineTool(server, host, {
    name: 'list_runs',
    title: 'List workflow runs',
    description: 'Recent runs, newest first, of one workflow or all.',
    scope: 'read',
    input: z.object({ name: WorkflowName.optional(), limit: z.number().int().min(1).max(200).default(20) }),
    output: z.object({ runs: z.array(WorkflowRun) }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ name, limit }) => {
      const runs = automation.runs(name, limit);
      return {
        structured: { runs },
        text:
          runs
            .map((r) => `${r.workflow} ${r.status} (${r.trigger}) at ${new Date(r.started_at).toISOString()}`)
            .join('\n') || 'no runs',
      };
    },
  });
}
