import { runVerbs } from '../lib/cli/errors.ts';
import { TOOL_VERBS, TOOLS_USAGE } from './cli/tools.ts';

/** `plexus tools <verb>`: publish to and search the registry, and the agent's installed packages. */
export function run(argv: string[]): Promise<number> {
  return runVerbs('plexus tools', TOOLS_USAGE, TOOL_VERBS, argv);
}
