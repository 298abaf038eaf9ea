// `npm run demo`: a hub and three agents as real child processes. They register, find each other by
// capability, chat end to end, hand a task around, share a memory and ask each other directly (P2P) — and
// this script narrates it.
// Exits 0 when every step happened, 1 otherwise; always stops its processes and removes its temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { HubSession } from '../agent-host/hub-session.ts';
import type { RegistryClient } from '../lib/clients/registry.ts';
import { loadIdentityFile } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import type { JsonValue } from '../schemas/common.ts';
import type { TaskView } from '../schemas/registry/tools.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/plexus.ts');
const STEP_TIMEOUT_MS = Number(process.env['PLEXUS_DEMO_TIMEOUT_MS'] ?? 60_000);
const PASSPHRASE = `demo-${process.pid}-${Date.now()}`;

interface Proc {
  name: string;
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  waitFor(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

const procs: Proc[] = [];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-demo-'));
let hubUrl = '';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function launch(name: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const wakers = new Set<() => void>();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const wake of wakers) wake();
  });
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 200) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: Proc = {
    name,
    child,
    lines,
    stderr,
    exited,
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines.slice(from)) {
            const match = pattern.exec(line);
            if (match) {
              done();
              resolve(match);
              return;
            }
          }
        };
        const fail = (why: string) => {
          done();
          reject(
            new Error(`${name}: ${why} (waiting for ${pattern})\n  stderr: ${stderr.slice(-5).join('\n  ')}`),
          );
        };
        const timer = setTimeout(() => fail('timed out'), STEP_TIMEOUT_MS);
        const onExit = () => setImmediate(() => wakers.has(check) && fail('exited'));
        const done = () => {
          clearTimeout(timer);
          wakers.delete(check);
          child.off('exit', onExit);
        };
        wakers.add(check);
        child.on('exit', onExit);
        check();
      });
    },
  };
  procs.push(proc);
  return proc;
}

async function run(name: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const proc = launch(name, args, env);
  const code = await proc.exited;
  procs.splice(procs.indexOf(proc), 1);
  if (code !== 0) throw new Error(`${name} exited with ${code}: ${proc.stderr.join('\n')}`);
  return proc.lines.join('\n');
}

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const proc of [...procs].reverse()) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        const killer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
        await proc.exited;
        clearTimeout(killer);
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
  })();
  return cleaning;
}

async function ollamaReachable(): Promise<string | null> {
  const host = process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434';
  const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
  try {
    const response = await fetch(`${base}/api/version`, { signal: AbortSignal.timeout(1_000) });
    return response.ok ? base : null;
  } catch {
    return null;
  }
}

interface AgentSpec {
  name: string;
  role: string;
  capability: string;
  loop?: Record<string, unknown>;
  tools: boolean;
  /** Serves its own MCP endpoint (P2P) for peers to call directly. */
  listen?: boolean;
}

const AGENTS: AgentSpec[] = [
  // alice only coordinates, and answers a thread once so two model-driven agents do not talk forever.
  {
    name: 'alice',
    role: 'assistant',
    capability: 'coordinate',
    loop: { maxRepliesPerThread: 1 },
    tools: false,
  },
  { name: 'bob', role: 'worker', capability: 'memory', tools: false },
  { name: 'carol', role: 'worker', capability: 'files', tools: true, listen: true },
];

const agentEnv = () => ({ PLEXUS_HUB: hubUrl, PLEXUS_PASSPHRASE: PASSPHRASE });

async function dispatchAndWait(
  registry: RegistryClient,
  capability: string,
  input: JsonValue,
): Promise<TaskView> {
  const { task } = await registry.dispatchTask({ capability, input });
  const until = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const { task: now } = await registry.getTask({ id: task.id });
    if (['completed', 'failed', 'canceled', 'rejected'].includes(now.state)) return now;
    if (Date.now() > until) throw new Error(`task ${task.id} still ${now.state} after ${STEP_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`demo step failed: ${what}`);
}

async function main(): Promise<void> {
  say('Plexus demo: one hub, three agents, all real processes.');
  const ollama = await ollamaReachable();
  say(
    ollama
      ? `Ollama answers at ${ollama}: the agents think with it.`
      : 'No Ollama reachable: the agents cannot think, but they still talk, run tool calls and share memories.',
  );
  say();

  say('1. Starting the hub …');
  const hub = launch('hub', ['hub', '--port', '0', '--data', path.join(root, 'hub'), '--log-level', 'warn']);
  hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '';
  say(`   hub listening on ${hubUrl}`);

  say('2. Creating three agent identities (Ed25519 + X25519 keys, signed Agent Cards) …');
  const dids = new Map<string, string>();
  for (const spec of AGENTS) {
    const dir = path.join(root, spec.name);
    const out = await run(
      `init ${spec.name}`,
      [
        'agent',
        'init',
        '--dir',
        dir,
        '--name',
        spec.name,
        '--role',
        spec.role,
        '--capability',
        spec.capability,
        '--hub',
        hubUrl,
      ],
      agentEnv(),
    );
    const did = /did\s+(did:key:\S+)/.exec(out)?.[1];
    check(did, `${spec.name} got a DID`);
    dids.set(spec.name, did);
    fs.writeFileSync(
      path.join(dir, 'agent.json'),
      JSON.stringify({
        hubUrl,
        defaultTools: spec.tools,
        reconnectIntervalMs: 1_000,
        inboxPollMs: 500,
        p2p: { listen: spec.listen ?? false },
      }),
    );
    fs.writeFileSync(path.join(dir, 'loop.json'), JSON.stringify({ syncIntervalMs: 2_000, ...spec.loop }));
    say(`   ${spec.name.padEnd(6)} ${spec.role.padEnd(10)} can do '${spec.capability}'   ${did}`);
  }
  const report = path.join(root, 'carol', 'files', 'report.txt');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.writeFileSync(report, 'Q3 sales grew 12% to 4.2M; churn fell to 3.1%.\n');

  say('3. Starting the agents: each gets a token, registers its card, heartbeats, subscribes to its inbox …');
  const running = new Map<string, Proc>();
  for (const spec of AGENTS) {
    running.set(
      spec.name,
      launch(spec.name, ['agent', 'start', '--dir', path.join(root, spec.name)], agentEnv()),
    );
  }
  for (const [name, proc] of running) {
    await proc.waitFor(/^agent ready/);
    const endpoint = proc.lines.map((line) => /^own endpoint at (\S+)/.exec(line)?.[1]).find(Boolean);
    say(`   ${name} is online${endpoint ? `, and serves its own MCP endpoint at ${endpoint}` : ''}`);
  }
  const alice = running.get('alice')!;
  const bob = running.get('bob')!;
  const carol = running.get('carol')!;

  // The demo acts for alice with her own identity, as `plexus agent send` does beside a running agent.
  const aliceIdentity = loadIdentityFile(path.join(root, 'alice', 'identity.json'), {
    passphrase: PASSPHRASE,
  });
  const session = new HubSession({ hubUrl, identity: aliceIdentity, log: silentLogger, timeoutMs: 30_000 });
  await session.open();
  const { registry } = session.servers;
  try {
    say('4. alice looks for agents by capability in the registry …');
    for (const capability of ['files', 'memory']) {
      const found = await registry.findAgents({ capability });
      const names = found.agents.map((a) => `${a.card.name} (${a.status})`);
      say(`   '${capability}': ${names.join(', ') || 'nobody'}`);
      const expected = capability === 'files' ? 'carol' : 'bob';
      check(
        found.agents.some((a) => a.did === dids.get(expected)),
        `find_agents(${capability}) lists ${expected}`,
      );
    }

    say('5. alice chats with bob, end to end encrypted (the hub only sees ciphertext) …');
    const bobFrom = bob.lines.length;
    const aliceFrom = alice.lines.length;
    await run(
      'send',
      [
        'agent',
        'send',
        '--dir',
        path.join(root, 'alice'),
        '--to',
        'bob',
        'Hi bob, are you ready for the quarterly review?',
      ],
      agentEnv(),
    );
    const heard = await bob.waitFor(/^message from alice: (.*)$/, bobFrom);
    say(`   bob received: "${heard[1]}"`);
    const answer = await alice.waitFor(/^message from bob: (.*)$/, aliceFrom);
    say(`   alice received bob's answer: "${answer[1]}"`);

    say("6. alice dispatches a 'files' task: read report.txt with the filesystem tool …");
    const read = await dispatchAndWait(registry, 'files', {
      tool: 'filesystem__read_text_file',
      arguments: { path: fs.realpathSync(report) },
    });
    check(
      read.state === 'completed',
      `the files task completed (it is ${read.state}: ${read.error?.message ?? ''})`,
    );
    check(read.assignee === dids.get('carol'), 'carol ran the files task');
    const text = (read.result as { text?: string }).text ?? '';
    check(text.includes('Q3 sales grew 12%'), 'the task result holds the file content');
    say(`   carol completed it: "${text.trim()}"`);

    say("7. alice asks bob (capability 'memory') to remember a public fact, and carol to recall it …");
    const fact = 'The quarterly review is on Friday at 10:00 in room Ada.';
    const remembered = await dispatchAndWait(registry, 'memory', {
      tool: 'hub__memory__remember',
      arguments: { text: fact, scope: { kind: 'public' } },
    });
    check(remembered.state === 'completed', `bob remembered the fact (task ${remembered.state})`);
    say(`   bob remembered: "${fact}"`);
    const recalled = await dispatchAndWait(registry, 'files', {
      tool: 'hub__memory__recall',
      arguments: { query: 'when is the quarterly review', k: 3 },
    });
    check(recalled.state === 'completed', `carol's recall task completed (${recalled.state})`);
    const items =
      (recalled.result as { structured?: { items?: { text: string; provenance: { author: string } }[] } })
        .structured?.items ?? [];
    const hit = items.find((item) => item.text === fact);
    check(hit && hit.provenance.author === dids.get('bob'), "carol recalled bob's fact, authored by bob");
    say(`   carol recalled: "${hit.text}" (written by bob)`);

    say("8. alice asks carol directly at carol's own endpoint (P2P: her card lists it; no hub in between) …");
    const carolFrom = carol.lines.length;
    const asked = await run(
      'ask',
      ['agent', 'ask', '--dir', path.join(root, 'alice'), '--to', 'carol', 'What did the Q3 report say?'],
      agentEnv(),
    );
    const question = await carol.waitFor(/^question from alice: (.*)$/, carolFrom);
    say(`   carol was asked: "${question[1]}"`);
    const reply = /^carol: (.+)$/m.exec(asked)?.[1];
    check(reply, 'carol answered the direct question');
    say(`   alice got carol's answer: "${reply}"`);
  } finally {
    await session.close();
  }

  say();
  say(
    'Every step happened: registration, discovery, encrypted chat, a task, a shared memory, a direct question.',
  );
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  say('\ninterrupted; stopping the demo processes …');
  void cleanup().then(() => process.exit(130));
});

let code = 0;
try {
  await main();
} catch (error) {
  if (!interrupted) {
    process.stderr.write(`\nDEMO FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
}
await cleanup();
process.exitCode = code;
