import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import { freePort } from '../helpers/ports.ts';
import { codeBlocksOf, ROOT } from './markdown.ts';

/**
 * A newcomer's first run, from the README alone: every shell command of its "Quick start" section, in order,
 * as written, in a copy of the repository (its files as git knows them). Only this differs: `npm ci` is not
 * run again (the copy links the dependencies this checkout installed with it), the hub listens on a free port
 * instead of 7420, which `PLEXUS_HUB` follows, and npm stays offline. Commands that keep running (`hub`,
 * `agent start`) run in the background, as in their own terminals.
 *
 * Each command must match a step below, which says how to tell it worked; a command the README gains
 * without a step here fails the test. The walk-through's milestones are listed at the end: those the README
 * does not reach yet are reported as todo.
 */
interface Run {
  stdout: string;
  stderr: string;
}

interface Step {
  command: RegExp;
  /** Keeps running: started in the background, ready once a stdout line matches. */
  background?: RegExp;
  /** Checks a finished command's output; `retry` when the answer may not be there yet (mail on its way). */
  check?: (run: Run, walk: Walk) => { ok: boolean; retry?: boolean; why?: string };
  /** The milestone this step shows done. */
  milestone?: string;
}

interface Walk {
  /** The text of the last message sent, and to whom. */
  sent?: { to: string; text: string };
}

/** The text an `agent send … "text"` line sends (the last quoted argument). */
function sentText(command: string): { to: string; text: string } {
  const to = /--to\s+(\S+)/.exec(command)?.[1] ?? '';
  const text = /"([^"]*)"\s*$/.exec(command)?.[1] ?? '';
  return { to, text };
}

const STEPS: Step[] = [
  { command: /^npm ci$/ },
  { command: /^npx plexus hub$/, background: /Plexus hub listening on/, milestone: 'hub up' },
  { command: /^export /, check: () => ({ ok: true }) },
  {
    command: /^npx plexus agent init --dir (\S+) --name (\S+)$/,
    check: (run) => ({
      ok: /created .*identity\.json \(encrypted\)/.test(run.stdout),
      why: 'an encrypted identity',
    }),
  },
  { command: /^npx plexus agent start --dir \S+$/, background: /^agent ready/ },
  {
    command: /^npx plexus agent send --dir \S+ --to \S+ ".*"$/,
    check: (run) => ({ ok: run.stdout.trim().length > 0, why: 'send says how the message went' }),
  },
  {
    command: /^npx plexus agent inbox --dir \S+$/,
    milestone: 'two agents chat',
    check: (run, walk) => {
      const text = walk.sent?.text ?? '';
      const ok = text !== '' && run.stdout.includes(text);
      return { ok, retry: !ok, why: `the inbox shows "${text}"` };
    },
  },
];

/** What the walk-through must show, in the order a newcomer meets it. */
const MILESTONES = [
  'hub up',
  'two agents chat',
  'a task dispatched and done',
  'a memory remembered and recalled',
  'a tool published and installed by an agent',
];

/** The quick start's commands: every line of its `sh` blocks, comments and blank lines aside. */
function quickStartCommands(): string[] {
  return codeBlocksOf('README.md')
    .filter((block) => block.lang === 'sh' && block.headings.includes('Quick start'))
    .flatMap((block) => block.content.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The repository's files as a clone has them, with this checkout's installed dependencies linked in. */
function cloneLike(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && fs.existsSync(path.join(ROOT, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv) {
  return spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

test('the README quick start, followed literally', { timeout: 600_000 }, async (t) => {
  const commands = quickStartCommands();
  assert.ok(commands.length > 0, 'the README has a quick start');
  assert.equal(commands[0], 'npm ci', 'the quick start begins with installing');
  const unknown = commands.filter((command) => !STEPS.some((step) => step.command.test(command)));
  assert.deepEqual(unknown, [], 'every quick-start command has a step in this test');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-quick-start-'));
  // Stopped last started first (the agents before the hub), then the copy goes.
  const stops: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  cloneLike(dir);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PLEXUS_PORT: String(port) };
  delete env['BASH_ENV']; // a login's shell setup is not part of the README
  // npx must find `plexus` in the copy; were it ever to miss, it must fail rather than fetch a namesake.
  env['npm_config_offline'] = 'true';
  const walk: Walk = {};
  const done = new Set<string>();

  for (const command of commands) {
    const step = STEPS.find((candidate) => candidate.command.test(command));
    assert.ok(step);
    if (command === 'npm ci') continue; // installed once for this checkout; the copy links it
    if (command.startsWith('export ')) {
      // `export A=x B='y z'`: the shell's own parse, kept for the commands that follow.
      const exported = execFileSync('bash', ['-c', `${command}; env -0`], { encoding: 'utf8', env: {} });
      for (const pair of exported.split('\0').filter(Boolean)) {
        const [name = '', ...value] = pair.split('=');
        if (['PWD', 'SHLVL', '_'].includes(name)) continue;
        env[name] = value.join('=').replace('127.0.0.1:7420', `127.0.0.1:${port}`);
      }
      continue;
    }
    await t.test(command, async () => {
      if (step.background) {
        const child = shell(command, dir, env);
        const lines: string[] = [];
        const errors: string[] = [];
        readline.createInterface({ input: child.stderr }).on('line', (line) => errors.push(line));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        stops.push(async () => {
          if (child.exitCode === null && child.signalCode === null) {
            process.kill(-(child.pid as number), 'SIGTERM'); // the whole group: npx and the plexus it runs
            await exited;
          }
        });
        await new Promise<void>((resolve, reject) => {
          readline.createInterface({ input: child.stdout }).on('line', (line) => {
            lines.push(line);
            if (step.background?.test(line)) resolve();
          });
          void exited.then((code) =>
            reject(
              new Error(
                `exited (${code}) before ${step.background}:\n${lines.join('\n')}\n${errors.slice(-20).join('\n')}`,
              ),
            ),
          );
        });
      } else {
        for (;;) {
          const child = shell(command, dir, env);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
          assert.equal(code, 0, `${command}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
          const verdict = step.check?.({ stdout, stderr }, walk) ?? { ok: true };
          if (verdict.ok) break;
          assert.ok(verdict.retry, `${command}: expected ${verdict.why ?? 'success'}\nstdout:\n${stdout}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      if (/ agent send /.test(command)) walk.sent = sentText(command);
      if (step.milestone) done.add(step.milestone);
    });
  }

  for (const milestone of MILESTONES) {
    if (done.has(milestone)) await t.test(milestone, () => {});
    else await t.test(milestone, { todo: 'not in the README quick start yet' }, () => {});
  }
  const reached = MILESTONES.filter((milestone) => done.has(milestone));
  assert.deepEqual(reached, MILESTONES.slice(0, reached.length), 'milestones are reached in order');
  assert.ok(done.has('hub up') && done.has('two agents chat'));
});
