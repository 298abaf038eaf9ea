// Flags as every `plexus` verb reads them: node's parseArgs, with failures worded as flags (`--limit: …`).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PlexusError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** A flag the person got wrong: exit code 2, the message names the flag. */
export function flagError(flag: string, message: string): PlexusError {
  return new PlexusError('invalid', 'usage', `--${flag}: ${message}`, { field: flag });
}

/** A usage mistake not tied to one flag (a missing argument, an unknown verb). */
export function usageError(message: string): PlexusError {
  return new PlexusError('invalid', 'usage', message);
}

/** The flags shared by every verb that prints a result. */
export const OUTPUT_FLAGS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** parseArgs, strict, with node's messages ("Unknown option '--x'. To specify…") said in one short line. */
export function parseFlags<O extends Options>(argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw usageError(`unknown flag ${unknown[1]}`);
    const missing = /Option '(?:-\w, )?--([\w-]+) <value>' argument missing/.exec(message);
    if (missing) throw flagError(missing[1] as string, 'needs a value');
    const boolean = /Option '(?:-\w, )?--([\w-]+)' does not take an argument/.exec(message);
    if (boolean) throw flagError(boolean[1] as string, 'takes no value');
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    if (positional) throw usageError(`unexpected argument '${positional[1]}'`);
    throw usageError(message);
  }
}

/** A whole-number flag within bounds; `undefined` when not given. */
export function intFlag(
  flag: string,
  text: string | undefined,
  bounds: { min: number; max: number },
): number | undefined {
  if (text === undefined) return undefined;
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max)
    throw flagError(flag, `must be a whole number from ${bounds.min} to ${bounds.max}, got '${text}'`);
  return value;
}

/** A flag holding JSON (`--input '{"a":1}'`); plain text that is not JSON is taken as a string. */
export function jsonFlag(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90`, `90s`, `15m`, `1h`, `30d`, `2w` → seconds. */
export function durationFlag(flag: string, text: string): number {
  const match = /^(\d+)([smhdw]?)$/.exec(text.trim());
  if (!match) throw flagError(flag, `'${text}' is not a duration like 3600, 15m, 1h or 30d`);
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}
