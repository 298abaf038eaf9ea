import { invalid } from '../../../lib/errors.ts';
import type { JsonValue } from '../../../schemas/common.ts';

/** What `{{…}}` paths can reach: the run's input and earlier steps' results. */
export interface TemplateScope {
  input: JsonValue;
  steps: Record<string, { structured?: JsonValue; text?: string }>;
}

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const ANY = /\{\{\s*([^{}]+?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
// Property walks only; these names would reach into prototypes instead of data.
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

function lookup(scope: TemplateScope, path: string, field: string): unknown {
  const segments = path.split('.');
  const [root] = segments;
  if (root !== 'input' && root !== 'steps') {
    throw invalid(field, `template '{{${path}}}' must start with input. or steps.`, 'template_invalid');
  }
  let value: unknown = scope;
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || FORBIDDEN.has(segment)) {
      throw invalid(field, `template '{{${path}}}' has an invalid segment '${segment}'`, 'template_invalid');
    }
    const missing =
      value === null ||
      typeof value !== 'object' ||
      !Object.hasOwn(value, segment) ||
      (Array.isArray(value) && !/^\d+$/.test(segment));
    if (missing) {
      throw invalid(field, `template '{{${path}}}' does not resolve`, 'template_unresolved');
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * Fills `{{path}}` templates in a JSON value. A string that is exactly one template takes the referenced
 * value as is (numbers stay numbers, objects stay objects); templates inside a longer string are rendered
 * as text (JSON for objects).
 */
export function fillTemplates(value: JsonValue, scope: TemplateScope, field = 'arguments'): JsonValue {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole?.[1]) return lookup(scope, whole[1], field) as JsonValue;
    return value.replace(ANY, (_m, path: string) => {
      const found = lookup(scope, path, field);
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => fillTemplates(item, scope, `${field}.${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fillTemplates(v, scope, `${field}.${k}`)]),
    );
  }
  return value;
}
