import { isAbsolute } from 'node:path';
import { PlexusError } from '../../../lib/errors.ts';
import type { AllowedCommand } from '../../../schemas/system/tools.ts';

/**
 * Decides whether a command may run: only allow-listed names, absolute executables, a bounded number of
 * arguments each matching the operator's pattern. Commands run without a shell, so no argument is ever
 * interpreted as shell syntax; the pattern guards what the program itself does with them.
 */
export function authorizeCommand(
  allowList: readonly AllowedCommand[],
  name: string,
  args: readonly string[],
): AllowedCommand {
  const entry = allowList.find((c) => c.name === name);
  if (!entry) {
    const known = allowList.map((c) => c.name).join(', ') || 'none';
    throw new PlexusError('forbidden', 'command_not_allowed', `command '${name}' is not allow-listed`, {
      hint: `allowed: ${known}`,
    });
  }
  if (!isAbsolute(entry.path)) {
    throw new PlexusError(
      'forbidden',
      'command_misconfigured',
      `command '${name}' has a relative path in the allow-list`,
    );
  }
  if (args.length > entry.max_args) {
    throw new PlexusError(
      'invalid',
      'too_many_args',
      `args: '${name}' takes at most ${entry.max_args} arguments`,
      {
        field: 'args',
      },
    );
  }
  const pattern = new RegExp(entry.args_pattern, 'u');
  args.forEach((arg, i) => {
    if (arg.includes('\0') || !pattern.test(arg)) {
      throw new PlexusError('invalid', 'arg_not_allowed', `args.${i}: does not match ${entry.args_pattern}`, {
        field: `args.${i}`,
      });
    }
  });
  return entry;
}
