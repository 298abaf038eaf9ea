import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/**
 * `bin/plexus.ts` as a real child process, for end-to-end tests: long-running verbs (`hub`, `agent start`)
 * through `launch`, one-shot verbs through `runCli`.
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/plexus.ts');
const WAIT_MS = 120_000;

export interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line (past or future) matching `pattern`, from line `from` on. */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  /** stderr lines (the JSON log lines of the hub and servers). */
  errLines: string[];
  /** As waitFor, on stderr. */
  waitForStderr(pattern: RegExp, from?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function launch(args: string[], env: Record<string, string>, cwd: string): Proc {
  return launchProcess(process.execPath, ['--no-node-snapshot', BIN, ...args], env, cwd);
}

/** Any command as a child process with its output lines watched (Caddy, Prometheus beside a hub). */
export function launchProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Proc {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const errLines: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const check of waiters) check();
  };
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    wake();
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    errLines.push(line);
    wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = () => `stdout:\n${lines.join('\n')}\nstderr:\n${errLines.join('\n').slice(-3000)}`;
  const waitIn =
    (seen: string[]) =>
    (pattern: RegExp, from = 0) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const hit = seen.slice(from).find((line) => pattern.test(line));
          if (hit !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern}; ${output()}`));
        }, WAIT_MS);
        waiters.add(check);
        void exited.then(() =>
          setImmediate(() => {
            if (waiters.has(check)) {
              waiters.delete(check);
              clearTimeout(timer);
              reject(new Error(`exited before ${pattern}; ${output()}`));
            }
          }),
        );
        check();
      });
  return { child, lines, errLines, exited, waitFor: waitIn(lines), waitForStderr: waitIn(errLines) };
}

export async function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin ?? '');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** SIGTERM and wait for the exit (a clean shutdown); no-op for a process that already ended. */
export async function stop(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  await proc.exited;
}

/** Every byte under `dir` (SQLite files, WAL included), as latin1 text for substring checks. */
export function allBytes(dir: string): string {
  let text = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1');
  }
  return text;
}

/**
 * `plexus agent init` in `<root>/<name>` (name as the agent's name, identity sealed with `passphrase`, extra
 * `args` such as `--role`), then `agent.json` set to `config`. Returns the new DID.
 */
export async function initAgent(
  root: string,
  name: string,
  options: { passphrase: string; args?: string[]; config?: Record<string, unknown> },
): Promise<string> {
  const made = await runCli(
    ['agent', 'init', '--dir', name, '--name', name, ...(options.args ?? []), '--passphrase-stdin'],
    {},
    root,
    `${options.passphrase}\n`,
  );
  const did = /did\s+(did:key:\S+)/.exec(made.stdout)?.[1];
  if (made.code !== 0 || !did) throw new Error(`agent init ${name} failed (${made.code}): ${made.stderr}`);
  if (options.config) fs.writeFileSync(path.join(root, name, 'agent.json'), JSON.stringify(options.config));
  return did;
}

/** Waits (up to WAIT_MS) for a line of the agent log in `agentDir` (JSON lines) that `match` accepts. */
export async function agentLogLine(
  agentDir: string,
  match: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const file = path.join(agentDir, 'logs', 'agent.log');
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    const found = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no such line in ${file}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
