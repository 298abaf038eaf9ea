import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../test/helpers/plexus-process.ts';

/**
 * Mistakes in what a person typed, caught before anything is reached: each said as the flag or argument
 * typed (never a schema path, a tool's field or the environment variable a flag stands for), exit code 2.
 */
const CASES: [string[], RegExp][] = [
  [
    ['agents', '--limit', 'abc'],
    /^plexus agents: --limit: must be a whole number from 1 to 100, got 'abc'$/m,
  ],
  [['agents', '--capability', 'Not Valid'], /^plexus agents: --capability: must be lower-case/m],
  [['agents', '--status', 'asleep'], /^plexus agents: --status: /m],
  [['agents', '--bogus'], /^plexus agents: unknown flag --bogus$/m],
  [['tasks', 'dispatch'], /^plexus tasks dispatch: --capability is required/m],
  [
    ['tasks', 'dispatch', '--capability', 'echo', '--deadline', 'soon'],
    /--deadline: 'soon' is not a duration/,
  ],
  [['tasks', 'dispatch', '--capability', 'echo', '--attempts', '0'], /^plexus tasks dispatch: --attempts: /m],
  [['tasks', 'get', 'not-an-id'], /^plexus tasks get: <id>: /m],
  [['tasks', 'list', '--state', 'sleeping'], /^plexus tasks list: --state: /m],
  [['memory', 'recall', 'x', '--mode', 'magic'], /^plexus memory recall: --mode: /m],
  [['memory', 'remember', 'x', '--meta', 'novalue'], /--meta: 'novalue' is not key=value/],
  [['memory', 'remember', 'x', '--public', '--group', 'g'], /--public and --group exclude each other/],
  [['status', '--hub', 'not a url'], /^plexus status: --hub: 'not a url' is not an http\(s\) URL$/m],
  [['hub', '--port', 'abc'], /^plexus hub: --port: must be a whole number, got 'abc'$/m],
  [['hub', '--log-level', 'loud'], /^plexus hub: --log-level: /m],
  [['hub', '--bogus'], /^plexus hub: unknown flag --bogus$/m],
  [['token', 'create', '--scope', 'read,bogus', '--ttl', '1h'], /^plexus token: --scope: /m],
  [['token', 'create', '--scope', 'read', '--ttl', '0'], /^plexus token: --ttl: /m],
  [['agent', 'send', '--to'], /^plexus agent send: --to: needs a value$/m],
];

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-flags-'));
const env = { PLEXUS_PASSPHRASE: 'flags', PLEXUS_DATA: path.join(cwd, 'data') };

before(async () => {
  // An agent folder, so verbs that act as one get as far as checking their flags.
  const made = await runCli(['agent', 'init'], env, cwd);
  assert.equal(made.code, 0, made.stderr);
});
after(() => fs.rmSync(cwd, { recursive: true, force: true }));

// One test per mistake: each is a process of its own, which a busy machine may take a while to start.
for (const [args, expected] of CASES) {
  test(`plexus ${args.join(' ')}`, async () => {
    const run = await runCli(args, env, cwd);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, expected);
    assert.doesNotMatch(run.stderr, /PLEXUS_|ttl_seconds|scopes\.\d|max_attempts|structuredContent/);
  });
}

test('acting as an agent needs one, and says how to get one', async () => {
  const nobody = await runCli(['tasks', 'list', '--dir', 'nowhere'], {}, cwd);
  assert.equal(nobody.code, 2);
  assert.match(nobody.stderr, /there is none in .*nowhere.*plexus agent init/);
});
