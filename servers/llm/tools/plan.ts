import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { PlanInput, PlanOutput } from '../../../schemas/llm/tools.ts';
import { makePlan } from '../domain/planner.ts';
import type { LlmDeps } from '../deps.ts';

export function registerPlan(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'plan',
    title: 'Plan tool calls for a goal',
    description:
      'Turn a goal and the available tools into a validated JSON plan: steps that each call one of the given tools ' +
      'with arguments matching its input schema, with dependencies on earlier steps. Uses structured output; an ' +
      'invalid plan is sent back to the model with its problems and retried, then reported.',
    scope: 'read',
    input: PlanInput,
    output: PlanOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handler: async (input, { signal }) => {
      const outcome = await makePlan(
        deps.router,
        {
          goal: input.goal,
          tools: input.tools,
          context: input.context,
          max_steps: input.max_steps,
          task: input.task,
          model: input.model,
          timeout_ms: input.timeout_ms,
          temperature: input.temperature,
          signal: signal,
        },
        deps.router.settings.structured_attempts,
      );
      return {
        structured: {
          steps: outcome.plan.steps,
          ...(outcome.plan.rationale !== undefined ? { rationale: outcome.plan.rationale } : {}),
          rejected: outcome.rejected,
          deployment: outcome.deployment,
          backend: outcome.backend,
          model: outcome.model,
          latency_ms: outcome.latency_ms,
          ttft_ms: outcome.ttft_ms,
          prompt_tokens: outcome.prompt_tokens,
          completion_tokens: outcome.completion_tokens,
          attempts: outcome.attempts,
        },
        text: outcome.plan.steps.map((s, i) => `${i + 1}. ${s.tool} — ${s.description}`).join('\n'),
      };
    },
  });
}
