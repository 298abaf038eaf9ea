import type { TestContext } from 'node:test';

/**
 * A component a test needs is missing: in CI that fails the test loudly; on a developer machine the test is
 * skipped with the reason, so `npm test` still runs everything else.
 */
export function missing(t: TestContext, reason: string, cause?: unknown): null {
  if (process.env['CI']) throw new Error(`${reason} (CI needs it)`, cause === undefined ? {} : { cause });
  t.skip(reason);
  return null;
}
