import { PlexusError } from '../../lib/errors.ts';
import type { JsonValue } from '../../schemas/common.ts';

/** A task input naming the tool to run: `{tool, arguments}` or a list of them, run without a model. */
export interface ExplicitCall {
  tool: string;
  arguments: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseOne(value: unknown, field: string): ExplicitCall {
  if (!isObject(value) || !('tool' in value))
    throw new PlexusError('invalid', 'invalid_input', `${field}: must be {tool, arguments}`, { field });
  const { tool, arguments: args } = value;
  if (typeof tool !== 'string' || !tool)
    throw new PlexusError('invalid', 'invalid_input', `${field}.tool: must be a tool name`, {
      field: `${field}.tool`,
    });
  if (args !== undefined && !isObject(args))
    throw new PlexusError('invalid', 'invalid_input', `${field}.arguments: must be an object`, {
      field: `${field}.arguments`,
    });
  return { tool, arguments: args ?? {} };
}

/** The explicit calls in a task input, or null when the input is something for the model to read. */
export function explicitCalls(input: JsonValue): ExplicitCall[] | null {
  if (isObject(input) && 'tool' in input) return [parseOne(input, 'input')];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => isObject(item) && 'tool' in item))
    return input.map((item, i) => parseOne(item, `input.${i}`));
  return null;
}
