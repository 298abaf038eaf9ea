import type { CallToolResult } from '@modelcontextprotocol/server';
import { PlexusError } from '../../../lib/errors.ts';
import { uuidv7 } from '../../../lib/crypto/uuidv7.ts';
import type { JsonValue } from '../../../schemas/common.ts';
import type { StepResult, Workflow, WorkflowRun } from '../../../schemas/automation/tools.ts';
import { fillTemplates, type TemplateScope } from './template.ts';

/** Whoever can call `<server>__<tool>`: the agent host's tools, or clients built from `mcpServers`. */
export interface ToolInvoker {
  call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult>;
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

/** Runs the steps in order; a failed step stops the run unless it says continue_on_error. */
export async function runWorkflow(
  workflow: Workflow,
  input: JsonValue,
  invoker: ToolInvoker,
  options: { trigger: WorkflowRun['trigger']; now: () => number; signal?: AbortSignal },
): Promise<WorkflowRun> {
  const started = options.now();
  const scope: TemplateScope = { input, steps: {} };
  const steps: StepResult[] = [];
  let failedStep: string | null = null;
  for (const [index, step] of workflow.steps.entries()) {
    if (failedStep !== null) {
      steps.push({ id: step.id, tool: step.tool, status: 'skipped', duration_ms: 0 });
      continue;
    }
    const t0 = performance.now();
    const outcome = await runStep(
      step.tool,
      step.arguments,
      `steps.${index}.arguments`,
      scope,
      invoker,
      options.signal,
    );
    const duration_ms = Math.round(performance.now() - t0);
    steps.push({ id: step.id, tool: step.tool, ...outcome, duration_ms });
    if (outcome.status === 'succeeded') {
      scope.steps[step.id] = {
        ...(outcome.structured !== undefined ? { structured: outcome.structured } : {}),
        text: outcome.text ?? '',
      };
    } else if (!step.continue_on_error) {
      failedStep = step.id;
    }
  }
  const failed = steps.some((s) => s.status === 'failed');
  return {
    id: uuidv7(started),
    workflow: workflow.name,
    trigger: options.trigger,
    status: failed ? 'failed' : 'succeeded',
    failed_step: failedStep ?? steps.find((s) => s.status === 'failed')?.id ?? null,
    input,
    steps,
    started_at: started,
    finished_at: options.now(),
  };
}

async function runStep(
  tool: string,
  template: Record<string, JsonValue>,
  field: string,
  scope: TemplateScope,
  invoker: ToolInvoker,
  signal: AbortSignal | undefined,
): Promise<Omit<StepResult, 'id' | 'tool' | 'duration_ms'>> {
  let args: Record<string, JsonValue>;
  try {
    args = fillTemplates(template, scope, field) as Record<string, JsonValue>;
  } catch (error) {
    return { status: 'failed', error: error instanceof PlexusError ? error.message : String(error) };
  }
  try {
    const result = await invoker.call(tool, args, signal);
    const text = textOf(result);
    if (result.isError) return { status: 'failed', arguments: args, error: text || 'tool reported an error' };
    return {
      status: 'succeeded',
      arguments: args,
      text,
      ...(result.structuredContent !== undefined
        ? { structured: result.structuredContent as JsonValue }
        : {}),
    };
  } catch (error) {
    return { status: 'failed', arguments: args, error: (error as Error).message };
  }
}
