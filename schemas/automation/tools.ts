import { z } from 'zod';
import { JsonValue } from '../common.ts';
import { McpTaskSettings } from '../mcp-task.ts';

export const WorkflowName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 lower-case letters, digits, _ or -');
const StepId = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,31}$/, 'must be 1-32 letters, digits or _, starting with a letter');

export const WorkflowStep = z.strictObject({
  id: StepId,
  /** A namespaced tool: `<server>__<tool>`. */
  tool: z.string().min(3).max(128),
  /** Arguments; strings may hold `{{input.x}}` or `{{steps.<id>.structured.y}}` templates. */
  arguments: z.record(z.string(), JsonValue).default({}),
  /** Keep going when this step fails (the run still reports the failure). */
  continue_on_error: z.boolean().default(false),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

export const Workflow = z
  .strictObject({
    name: WorkflowName,
    description: z.string().max(2000).default(''),
    steps: z.array(WorkflowStep).min(1).max(50),
  })
  .superRefine((workflow, ctx) => {
    const seen = new Set<string>();
    workflow.steps.forEach((step, i) => {
      if (seen.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id '${step.id}'` });
      seen.add(step.id);
    });
  });
export type Workflow = z.infer<typeof Workflow>;

export const StepResult = z.object({
  id: z.string(),
  tool: z.string(),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  arguments: z.record(z.string(), JsonValue).optional(),
  structured: JsonValue.optional(),
  text: z.string().optional(),
  error: z.string().optional(),
  duration_ms: z.number(),
});
export type StepResult = z.infer<typeof StepResult>;

export const WorkflowRun = z.object({
  id: z.string(),
  workflow: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  status: z.enum(['succeeded', 'failed']),
  /** The step that failed the run, when it failed. */
  failed_step: z.string().nullable(),
  input: JsonValue,
  steps: z.array(StepResult),
  started_at: z.number(),
  finished_at: z.number(),
});
export type WorkflowRun = z.infer<typeof WorkflowRun>;

export const Schedule = z.object({
  workflow: z.string(),
  every_seconds: z.number().int(),
  input: JsonValue,
  next_run_at: z.number(),
});
export type Schedule = z.infer<typeof Schedule>;

export const WorkflowSummary = z.object({
  name: z.string(),
  description: z.string(),
  steps: z.number().int(),
  schedule: Schedule.nullable(),
  updated_at: z.number(),
});

export const AutomationSettings = z.object({
  /** Tool servers workflows may call, in the standard `mcpServers` format (standalone use). */
  mcpServers: z.record(z.string(), z.unknown()).default({}),
  /** Shortest schedule interval accepted. */
  min_interval_seconds: z.number().int().min(1).default(10),
  /** Runs kept per workflow. */
  keep_runs: z.number().int().min(1).max(10_000).default(200),
  /** run_workflow run as MCP tasks (for clients that declare the Tasks extension). */
  mcp_tasks: McpTaskSettings.prefault({}),
});
export type AutomationSettings = z.infer<typeof AutomationSettings>;
