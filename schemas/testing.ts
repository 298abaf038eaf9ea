// Assertions for schema tests: a value parses, or fails naming exactly the expected field.
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { PlexusError } from '../lib/errors.ts';
import { parseOrThrow } from './common.ts';

export function assertAccepts<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  assert.ok(
    result.success,
    result.success ? '' : `expected to parse: ${JSON.stringify(result.error.issues)}`,
  );
  return result.data;
}

/** The value is refused, and the first problem named is `field` (dotted path). */
export function assertRejects(schema: z.ZodType, value: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => parseOrThrow(schema, value),
    (error: unknown) => {
      assert.ok(error instanceof PlexusError, `expected a PlexusError, got ${String(error)}`);
      assert.equal(error.kind, 'invalid');
      assert.equal(error.field, field, `field named: ${error.message}`);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

/** A copy of `value` with `path` set to `replacement` (or removed when replacement is `REMOVE`). */
export const REMOVE = Symbol('remove');
export function withField<T>(value: T, path: string, replacement: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (replacement === REMOVE) delete target[last];
  else target[last] = replacement;
  return copy as T;
}
