import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexusError } from '../../../lib/errors.ts';
import { AllowedCommand } from '../../../schemas/system/tools.ts';
import { authorizeCommand } from './command-policy.ts';

const allow = [
  AllowedCommand.parse({ name: 'echo', path: '/bin/echo', args_pattern: '^[a-z ]*$', max_args: 2 }),
  AllowedCommand.parse({ name: 'rel', path: 'bin/tool' }),
];

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PlexusError);
    return `${error.code}${error.field ? `@${error.field}` : ''}`;
  }
  return 'allowed';
}

test('only allow-listed, absolute, well-formed invocations pass', () => {
  assert.equal(
    code(() => authorizeCommand(allow, 'echo', ['hi there'])),
    'allowed',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'echo', [])),
    'allowed',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'rm', ['-rf', '/'])),
    'command_not_allowed',
  );
  assert.equal(
    code(() => authorizeCommand([], 'echo', [])),
    'command_not_allowed',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'rel', [])),
    'command_misconfigured',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'echo', ['a', 'b', 'c'])),
    'too_many_args@args',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'echo', ['ok', '$(id)'])),
    'arg_not_allowed@args.1',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'echo', ['nul\0byte'])),
    'arg_not_allowed@args.0',
  );
});

test('names are matched exactly, not as prefixes or patterns', () => {
  assert.equal(
    code(() => authorizeCommand(allow, 'ech', [])),
    'command_not_allowed',
  );
  assert.equal(
    code(() => authorizeCommand(allow, 'echo ', [])),
    'command_not_allowed',
  );
  assert.equal(
    code(() => authorizeCommand(allow, '.*', [])),
    'command_not_allowed',
  );
});
