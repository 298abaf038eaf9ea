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
 * without a step here fails the test. The walk-through's milestones are listed at the end: the README must
 * reach every one, in that order.
 */
interface Run {
  command: string;
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
  /** The text of the last note remembered. */
  remembered?: string;
}

/** A command's last argument when it is double-quoted text (`agent send … "text"`, `memory remember … "text"`). */
function quotedText(command: string): string {
  return /"([^"]*)"\s*$/.exec(command)?.[1] ?? '';
}

/** The tool a `tasks dispatch --input '{"tool": …, "arguments": …}'` line names, and its arguments. */
function dispatchedCall(command: string): { tool: string; arguments: Record<string, unknown> } | null {
  const input = /--input '([^']*)'/.exec(command)?.[1];
  if (input === undefined) return null;
  const call = JSON.parse(input) as { tool?: unknown; arguments?: Record<string, unknown> };
  return typeof call.tool === 'string' ? { tool: call.tool, arguments: call.arguments ?? {} } : null;
}

/** The `key  value` line of a record as the CLI prints one (`state  completed`). */
function field(stdout: string, key: string): string | undefined {
  return new RegExp(`^${key} +(.*)$`, 'm').exec(stdout)?.[1];
}

const STEPS: Step[] = [
  { command: /^npm ci$/ },
  { command: /^npx plexus hub$/, background: /Plexus hub listening on/, milestone: 'hub up' },
  { command: /^export /, check: () => ({ ok: true }) },
  {
    command: /^npx plexus agent init --dir \S+ --name \S+( --capability \S+)*$/,
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
  {
    command: /^npx plexus tools publish \S+ --dir \S+ --capability \S+$/,
    check: (run) => ({
      ok: /^published \S+@\S+ \(/m.test(run.stdout) && /sha256 [0-9a-f]{64}/.test(run.stdout),
      why: 'the package published, with its hash',
    }),
  },
  {
    command: /^npx plexus agent tools install \S+ --dir \S+$/,
    milestone: 'a tool published and installed by an agent',
    check: (run) => ({
      ok:
        /^installed \S+@\S+ by did:key:\S+$/m.test(run.stdout) &&
        /^ {2}the running agent serves it as sandbox__\S+$/m.test(run.stdout),
      why: 'the package installed, its author named, and served by the running agent',
    }),
  },
  {
    command: /^npx plexus tasks dispatch --dir \S+ --capability \S+ --input '.*' --wait$/,
    milestone: 'a task dispatched and done',
    check: (run) => {
      const call = dispatchedCall(run.command);
      const result = JSON.parse(field(run.stdout, 'result') ?? 'null') as {
        tool?: string;
        structured?: Record<string, unknown>;
      } | null;
      // The sample tool answers about what it was given: its text arguments show in its output.
      const given = Object.values(call?.arguments ?? {}).filter((v): v is string => typeof v === 'string');
      const output = JSON.stringify(result?.structured ?? {});
      const ok =
        field(run.stdout, 'state') === 'completed' &&
        result?.tool === call?.tool &&
        given.length > 0 &&
        given.every((text) => output.includes(text));
      return { ok, why: `the task completed by ${call?.tool}, its output naming ${given.join(', ')}` };
    },
  },
  {
    command: /^npx plexus memory remember --dir \S+( --public)? ".+"$/,
    check: (run) => ({ ok: /^remembered \S+$/m.test(run.stdout), why: 'the note kept' }),
  },
  {
    command: /^npx plexus memory recall --dir \S+ ".+"$/,
    milestone: 'a memory remembered and recalled',
    check: (run, walk) => {
      const text = walk.remembered ?? '';
      return { ok: text !== '' && run.stdout.includes(text), why: `recall finds "${text}"` };
    },
  },
];

/** What the walk-through must show, in the order a newcomer meets it. */
const MILESTONES = [
  'hub up',
  'two agents chat',
  'a tool published and installed by an agent',
  'a task dispatched and done',
  'a memory remembered and recalled',
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
          const verdict = step.check?.({ command, stdout, stderr }, walk) ?? { ok: true };
          if (verdict.ok) break;
          assert.ok(verdict.retry, `${command}: expected ${verdict.why ?? 'success'}\nstdout:\n${stdout}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      if (/ agent send /.test(command))
        walk.sent = { to: /--to\s+(\S+)/.exec(command)?.[1] ?? '', text: quotedText(command) };
      if (/ memory remember /.test(command)) walk.remembered = quotedText(command);
      if (step.milestone) done.add(step.milestone);
    });
  }

  for (const milestone of MILESTONES) {
    await t.test(milestone, () => assert.ok(done.has(milestone), 'the README quick start does not reach it'));
  }
  assert.deepEqual([...done], MILESTONES, 'the milestones are reached in the order a newcomer meets them');
});
