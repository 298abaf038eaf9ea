// The one error boundary of a `plexus` command: errors said in the CLI's words, with the exit code.
import { PlexusError } from '../errors.ts';

/**
 * What a command calls its inputs: a field as a server or a schema names it (`ttl_seconds`, `scopes.0`) →
 * the flag or argument the person typed (`--ttl`, `--scope`, `<id>`). Only the top-level field counts.
 */
export type FlagNames = Readonly<Record<string, string>>;

/** `--scope` for a field `scopes.0` when `{ scopes: '--scope' }`; null when the field is not the person's. */
function flagOf(field: string | undefined, names: FlagNames): string | null {
  if (!field) return null;
  const top = field.split('.')[0] ?? field;
  return names[top] ?? null;
}

/** The message with a leading `field: ` (or `field.0.x: `) said as the flag instead. */
function reworded(error: PlexusError, names: FlagNames): string {
  const flag = flagOf(error.field, names);
  if (!flag || !error.field || error.message.startsWith(`${flag}: `)) return error.message;
  const top = error.field.split('.')[0] as string;
  const lead = new RegExp(`^${top.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.[\\w.]+)?: `);
  return lead.test(error.message) ? error.message.replace(lead, `${flag}: `) : `${flag}: ${error.message}`;
}

/** Codes of a mistake in what the person typed or configured (not in stored data, not a refusal). */
const USAGE_CODES = new Set(['usage', 'config_invalid', 'invalid_config', 'invalid_input', 'invalid_params']);

/** Exit code 2 for what the person typed (usage, flags, config), 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof PlexusError && error.kind === 'invalid' && USAGE_CODES.has(error.code) ? 2 : 1;
}

/** `program: message` and, when there is one, `  hint: …`: the lines printed for a failure. */
export function describeError(program: string, error: unknown, names: FlagNames = {}): string {
  if (error instanceof PlexusError) {
    const hint = error.hint ? `\n  hint: ${error.hint}` : '';
    return `${program}: ${reworded(error, names)}${hint}`;
  }
  return `${program}: ${error instanceof Error ? error.message : String(error)}`;
}

export type Verb = (argv: string[]) => number | Promise<number>;

const GROUPS = new WeakSet<Verb>();

/** A verb with verbs of its own: `<program> <verb> …` run as runVerbs runs a command. */
export function verbGroup(
  program: string,
  usage: string,
  verbs: Readonly<Record<string, Verb>>,
  names: FlagNames = {},
): Verb {
  const group: Verb = (argv) => runVerbs(program, usage, verbs, argv, names);
  GROUPS.add(group);
  return group;
}

/**
 * Runs `<program> <verb> …`: help, an unknown verb and every failure handled the same way for every command
 * (the message on stderr, exit 2 for usage and bad input, 1 otherwise).
 */
export async function runVerbs(
  program: string,
  usage: string,
  verbs: Readonly<Record<string, Verb>>,
  argv: string[],
  names: FlagNames = {},
): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb ? process.stdout : process.stderr).write(`${usage}\n`);
    return verb ? 0 : 2;
  }
  const handler = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (!handler) {
    process.stderr.write(`${program}: unknown verb '${verb}'\n\n${usage}\n`);
    return 2;
  }
  // A group of verbs (`plexus agent tools …`) prints its own usage.
  if (!GROUPS.has(handler) && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return runGuarded(`${program} ${verb}`, () => handler(rest), names);
}

/** Runs one command, rendering any failure as `describeError` does. */
export async function runGuarded(
  program: string,
  body: () => number | Promise<number>,
  names: FlagNames = {},
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    process.stderr.write(`${describeError(program, error, names)}\n`);
    return exitCodeOf(error);
  }
}
