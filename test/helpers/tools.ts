import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { missing } from './missing.ts';

/**
 * The path of a command-line tool a test runs (Debian's caddy, prometheus, promtool, kubectl), or null with the
 * test skipped when it is missing locally; under CI=true a missing tool fails the test, naming the package.
 */
export function requireTool(t: TestContext, command: string, debianPackage: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return missing(t, `${command} is missing: apt-get install -y ${debianPackage} (.ci/run does)`);
  }
}
