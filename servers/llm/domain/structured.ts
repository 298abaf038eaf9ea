import { Ajv, type ValidateFunction } from 'ajv';
import { invalid, PlexusError } from '../../../lib/errors.ts';
import type { ChatOutcome, ChatRequest, LlmRouter } from './router.ts';
import type { ChatMessage } from './types.ts';

const ajv = new Ajv({ allErrors: true, strict: false });

/** Compiles a caller's JSON Schema; a schema that does not compile is the caller's error, naming `field`. */
export function compileSchema(schema: Record<string, unknown>, field: string): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw invalid(
      field,
      `not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Parses a model's JSON answer, tolerating a Markdown code fence around it. */
export function parseJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  try {
    return { ok: true, value: JSON.parse(fenced?.[1] ?? text) };
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Schema errors as one line, e.g. `/steps/0 must have required property 'tool'`. */
export function schemaErrors(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { dataVar: '', separator: '; ' }) || 'does not match the schema';
}

export interface StructuredOutcome extends ChatOutcome {
  structured: unknown;
  /** Answers rejected before the accepted one. */
  rejected: string[];
}

/**
 * Chat with structured output: the backend is asked for JSON following `schema` (Ollama `format`, OpenAI
 * `response_format`), and the answer is checked here too, since not every server enforces it. An invalid
 * answer is sent back with what was wrong, up to `attempts` answers in all; then the failure is reported.
 * `check` adds checks beyond the schema (returns problems, empty when fine).
 */
export async function chatStructured(
  router: LlmRouter,
  request: ChatRequest,
  schema: Record<string, unknown>,
  options: { attempts: number; field: string; check?: (value: unknown) => string[] },
): Promise<StructuredOutcome> {
  const validate = compileSchema(schema, options.field);
  let messages: ChatMessage[] = request.params.messages;
  const rejected: string[] = [];
  const allAttempts: ChatOutcome['attempts'] = [];
  // Rejected answers cost tokens too: the result reports the sum over every answer.
  const tokens = { prompt: 0 as number | null, completion: 0 as number | null };
  const add = (sum: number | null, n: number | null) => (sum === null || n === null ? null : sum + n);
  for (let i = 0; i < options.attempts; i++) {
    const outcome = await router.chat({ ...request, params: { ...request.params, messages, schema } });
    allAttempts.push(...outcome.attempts);
    tokens.prompt = add(tokens.prompt, outcome.prompt_tokens);
    tokens.completion = add(tokens.completion, outcome.completion_tokens);
    const parsed = parseJsonAnswer(outcome.content);
    let problem: string | undefined;
    if (!parsed.ok) problem = parsed.error;
    else if (!validate(parsed.value)) problem = schemaErrors(validate);
    else {
      const extra = options.check?.(parsed.value) ?? [];
      if (extra.length) problem = extra.join('; ');
    }
    if (problem === undefined && parsed.ok)
      return {
        ...outcome,
        prompt_tokens: tokens.prompt,
        completion_tokens: tokens.completion,
        attempts: allAttempts,
        structured: parsed.value,
        rejected,
      };
    rejected.push(problem ?? 'invalid');
    messages = [
      ...messages,
      { role: 'assistant', content: outcome.content },
      {
        role: 'user',
        content: `That answer is invalid: ${problem}. Reply again with only a JSON value that follows the schema:\n${JSON.stringify(schema)}`,
      },
    ];
  }
  throw new PlexusError(
    'unavailable',
    'invalid_structured_output',
    `the model gave no valid structured answer in ${options.attempts} attempt(s): ${rejected.join(' | ')}`,
    { hint: 'simplify the schema, use a stronger model (task or model), or raise structured_attempts' },
  );
}
