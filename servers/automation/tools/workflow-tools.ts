import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { Workflow, WorkflowName, WorkflowSummary } from '../../../schemas/automation/tools.ts';
import type { Automation } from '../domain/automation.ts';

/** Defining, reading and deleting workflows. */
export function registerWorkflowTools(server: McpServer, host: ToolHost, automation: Automation): void {
  defineTool(server, host, {
    name: 'create_workflow',
    title: 'Create or replace a workflow',
    description:
      'Stores a named workflow: ordered tool calls (`<server>__<tool>`) whose string arguments may use {{input.x}} and {{steps.<id>.structured.y}} / {{steps.<id>.text}} templates.',
    scope: 'write',
    input: z.object({ workflow: Workflow }),
    output: z.object({ name: z.string(), steps: z.number().int(), replaced: z.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    handler: async ({ workflow }, { caller }) => {
      const { replaced } = automation.save(workflow, caller.subject);
      return {
        structured: { name: workflow.name, steps: workflow.steps.length, replaced },
        text: `${replaced ? 'replaced' : 'created'} workflow ${workflow.name} (${workflow.steps.length} steps)`,
      };
    },
  });

  defineTool(server, host, {
    name: 'list_workflows',
    title: 'List workflows',
    description: 'Every stored workflow with its step count and schedule.',
    scope: 'read',
    input: z.object({}),
    output: z.object({ workflows: z.array(WorkflowSummary) }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async () => {
      const schedules = new Map(automation.schedules().map((s) => [s.workflow, s]));
      const workflows = automation.list().map(({ workflow, updatedAt }) => ({
        name: workflow.name,
        description: workflow.description,
        steps: workflow.steps.length,
        schedule: schedules.get(workflow.name) ?? null,
        updated_at: updatedAt,
      }));
      return { structured: { workflows }, text: workflows.map((w) => w.name).join(', ') || 'no workflows' };
    },
  });

  defineTool(server, host, {
    name: 'get_workflow',
    title: 'Get a workflow',
    description: 'The full definition of one workflow.',
    scope: 'read',
    input: z.object({ name: WorkflowName }),
    output: z.object({ workflow: Workflow, created_by: z.string(), updated_at: z.number() }),
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ name }) => {
      const stored = automation.get(name);
      return {
        structured: { workflow: stored.workflow, created_by: stored.createdBy, updated_at: stored.updatedAt },
        text: `${name}: ${stored.workflow.steps.map((s) => `${s.id}=${s.tool}`).join(' → ')}`,
      };
    },
  });

  defineTool(server, host, {
    name: 'delete_workflow',
    title: 'Delete a workflow',
    description: 'Deletes a workflow with its schedule and run history.',
    scope: 'write',
    input: z.object({ name: WorkflowName }),
    output: z.object({ deleted: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async ({ name }) => {
      automation.delete(name);
      return { structured: { deleted: name }, text: `deleted workflow ${name}` };
    },
  });
}
