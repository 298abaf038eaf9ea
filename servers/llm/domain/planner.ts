import type { ValidateFunction } from 'ajv';
import { invalid } from '../../../lib/errors.ts';
import type { LlmRouter, RouteRequest } from './router.ts';
import { chatStructured, compileSchema, schemaErrors, type StructuredOutcome } from './structured.ts';

export interface PlannerTool {
  name: string;
  description?: string | undefined;
  input_schema?: Record<string, unknown> | undefined;
}

export interface PlanStep {
  id: string;
  tool: string;
  arguments: Record<string, unknown>;
  description: string;
  depends_on: string[];
}

export interface Plan {
  steps: PlanStep[];
  rationale?: string;
}

export interface PlanRequest extends RouteRequest {
  goal: string;
  tools: PlannerTool[];
  context?: string | undefined;
  max_steps: number;
  temperature?: number | undefined;
}

/** The JSON Schema a plan must follow: steps naming only the offered tools. */
export function planSchema(tools: readonly PlannerTool[], maxSteps: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['steps'],
    properties: {
      rationale: { type: 'string' },
      steps: {
        type: 'array',
        minItems: 1,
        maxItems: maxSteps,
        items: {
          type: 'object',
          required: ['id', 'tool', 'arguments', 'description'],
          properties: {
            id: { type: 'string', minLength: 1 },
            tool: { type: 'string', enum: tools.map((t) => t.name) },
            arguments: { type: 'object' },
            description: { type: 'string' },
            depends_on: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  };
}

/** Checks a schema-valid plan further: unique ids, dependencies on earlier steps, arguments per tool schema. */
export function planProblems(
  plan: Plan,
  argumentValidators: ReadonlyMap<string, ValidateFunction>,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, step] of plan.steps.entries()) {
    if (seen.has(step.id)) problems.push(`steps/${i}: duplicate id '${step.id}'`);
    for (const dep of step.depends_on ?? [])
      if (!seen.has(dep)) problems.push(`steps/${i}: depends_on '${dep}' is not an earlier step`);
    seen.add(step.id);
    const validate = argumentValidators.get(step.tool);
    if (validate && !validate(step.arguments))
      problems.push(`steps/${i} arguments for ${step.tool}:${schemaErrors(validate)}`);
  }
  return problems;
}

function systemPrompt(request: PlanRequest): string {
  const tools = request.tools
    .map(
      (t) =>
        `- ${t.name}: ${t.description ?? '(no description)'}${t.input_schema ? `\n  arguments schema: ${JSON.stringify(t.input_schema)}` : ''}`,
    )
    .join('\n');
  return [
    'You are a planner. Break the goal into at most ' +
      String(request.max_steps) +
      ' steps, each one call of an available tool.',
    'Reply with only JSON: {"rationale": string, "steps": [{"id": "s1", "tool": <tool name>, "arguments": {…}, "description": string, "depends_on": [earlier step ids]}]}.',
    'Use only these tools, with arguments that follow their schemas. A later step may refer to an earlier result as "$<step id>".',
    '',
    'Available tools:',
    tools,
  ].join('\n');
}

/** Asks the model for a plan with structured output, validates it, and retries invalid plans with the problems. */
export async function makePlan(
  router: LlmRouter,
  request: PlanRequest,
  attempts: number,
): Promise<StructuredOutcome & { plan: Plan }> {
  if (!request.tools.length) throw invalid('tools', 'give at least one tool the plan may use');
  const names = new Set<string>();
  const validators = new Map<string, ValidateFunction>();
  for (const [i, tool] of request.tools.entries()) {
    if (names.has(tool.name)) throw invalid(`tools.${i}.name`, `duplicate tool '${tool.name}'`);
    names.add(tool.name);
    if (tool.input_schema)
      validators.set(tool.name, compileSchema(tool.input_schema, `tools.${i}.input_schema`));
  }
  const user = request.context
    ? `Goal: ${request.goal}\n\nContext:\n${request.context}`
    : `Goal: ${request.goal}`;
  const outcome = await chatStructured(
    router,
    {
      ...request,
      task: request.model === undefined ? (request.task ?? 'plan') : request.task,
      params: {
        messages: [
          { role: 'system', content: systemPrompt(request) },
          { role: 'user', content: user },
        ],
        temperature: request.temperature ?? 0,
      },
    },
    planSchema(request.tools, request.max_steps),
    { attempts, field: 'tools', check: (value) => planProblems(value as Plan, validators) },
  );
  const raw = outcome.structured as Plan;
  const plan: Plan = {
    ...(raw.rationale !== undefined ? { rationale: raw.rationale } : {}),
    steps: raw.steps.map((s) => ({ ...s, depends_on: s.depends_on ?? [] })),
  };
  return { ...outcome, plan };
}
