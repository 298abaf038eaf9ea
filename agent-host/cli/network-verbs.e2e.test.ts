import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initAgent, launch, runCli, stop, type Proc } from '../../test/helpers/plexus-process.ts';

/**
 * The CLI's network verbs against a real hub, with real processes: `plexus status`, `agents`, `tasks`,
 * `memory` and `agent vouch` as alice (whose hub `init --hub` recorded), with bob running and taking tasks.
 * Results are checked in their `--json` form, and in the table form where people read them.
 */

// bob's brain: a task is done at once with its input echoed, unless it says `hold` (then it waits until it is
// no longer wanted); a question is answered with what was heard.
const BRAIN = `
export function createBrain() {
  return {
    async onMessage(msg, ctx) { await ctx.reply(msg.from, 'heard: ' + msg.text); },
    async onTask(task, ctx) {
      const input = task.input ?? {};
      if (input.hold) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        return { state: 'failed', error: 'stopped' };
      }
      return { state: 'completed', result: { echo: input } };
    },
  };
}
`;

function json<T>(run: { code: number | null; stdout: string; stderr: string }): T {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

describe(
  'plexus status, agents, tasks, memory and agent vouch against a started hub',
  { timeout: 600_000 },
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-cli-e2e-'));
    const hubData = path.join(root, 'hub');
    const passphrase = `cli-${process.pid}`;
    const procs: Proc[] = [];
    let hubUrl = '';
    let bobDid = '';
    let aliceDid = '';
    let bob: Proc;
    let hub: Proc;
    // No PLEXUS_HUB: alice finds the hub through the hubUrl `init --hub` recorded.
    const env = {
      PLEXUS_PASSPHRASE: passphrase,
      PLEXUS_RECONNECT_INTERVAL_MS: '200',
      PLEXUS_INBOX_POLL_MS: '200',
    };
    const cli = (...args: string[]) => runCli(args, env, root);
    const brain = path.join(root, 'brain.mjs');

    function startBob(): Proc {
      const proc = launch(['agent', 'start', '--dir', 'bob', '--brain', brain], env, root);
      procs.push(proc);
      return proc;
    }

    before(async () => {
      fs.writeFileSync(brain, BRAIN);
      hub = launch(['hub', '--port', '0', '--data', hubData], {}, root);
      procs.push(hub);
      hubUrl =
        /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
      for (const [name, capability] of [
        ['alice', 'planning'],
        ['bob', 'echo'],
      ] as const) {
        // alice's folder already has an agent.json: init --hub adds the hub to it and keeps the rest.
        if (name === 'alice') {
          fs.mkdirSync(path.join(root, name));
          fs.writeFileSync(path.join(root, name, 'agent.json'), JSON.stringify({ inboxPollMs: 300 }));
        }
        const did = await initAgent(root, name, {
          passphrase,
          args: ['--hub', hubUrl, '--capability', capability],
        });
        if (name === 'bob') bobDid = did;
        else aliceDid = did;
        const file = path.join(root, name, 'agent.json');
        const recorded = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
        assert.equal(recorded['hubUrl'], hubUrl, 'init --hub records the hub');
        if (name === 'alice') assert.equal(recorded['inboxPollMs'], 300);
        fs.writeFileSync(file, JSON.stringify({ ...recorded, defaultTools: false }));
      }
      bob = startBob();
      await bob.waitFor(/^agent ready/);
    });

    after(async () => {
      for (const p of procs.reverse()) await stop(p);
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('plexus --version names the package version', async () => {
      const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      const run = await cli('--version');
      assert.equal(run.code, 0);
      assert.equal(run.stdout.trim().split(' ')[1], pkg.version);
    });

    test('plexus status: health, servers, agents online, messages/s and the embedder', async () => {
      interface Status {
        hub: { url: string; status: string };
        servers: { name: string; state: string }[];
        agents_online: number | null;
        messages_per_second: number | null;
        memory: { embedder: string; semantic: boolean } | null;
        notes: Record<string, string>;
      }
      const status = json<Status>(await cli('status', '--dir', 'alice', '--json'));
      assert.equal(status.hub.url, hubUrl);
      assert.equal(status.hub.status, 'ready');
      assert.deepEqual(
        status.servers.map((s) => [s.name, s.state]).sort(),
        ['identity', 'llm', 'memory', 'registry', 'router'].map((name) => [name, 'ready']),
      );
      assert.equal(status.agents_online, 1, 'bob');
      assert.deepEqual([status.memory?.embedder, status.memory?.semantic], ['lexical-v2', false]);
      // The message rate is the operator's: without a token it is missing, and the output says why.
      assert.equal(status.messages_per_second, null);
      assert.match(status.notes['messages_per_second'] ?? '', /operator token/);
      const token = path.join(hubData, 'operator-token');
      const withToken = json<Status>(await cli('status', '--dir', 'alice', '--token-file', token, '--json'));
      assert.equal(typeof withToken.messages_per_second, 'number');

      const table = await cli('status', '--dir', 'alice');
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^agents online +1$/m);
      assert.match(table.stdout, /^memory +lexical-v2 × 384: lexical, not semantic/m);
      assert.match(table.stdout, /^SERVER +STATE +KIND/m);
      assert.match(table.stdout, /^registry +ready +in-process/m);
    });

    test('plexus agents lists the registered agents, filtered by capability', async () => {
      const all = json<{ agents: { name: string; did: string; status: string }[] }>(
        await cli('agents', '--dir', 'alice', '--json'),
      );
      // alice has never started: she is known to identity, not registered as an agent.
      assert.deepEqual(
        all.agents.map((a) => a.name),
        ['bob'],
      );
      const echo = json<{ agents: { name: string; did: string; status: string; capabilities: string[] }[] }>(
        await cli('agents', '--dir', 'alice', '--capability', 'echo', '--json'),
      );
      assert.deepEqual(
        echo.agents.map((a) => [a.name, a.did, a.status, a.capabilities]),
        [['bob', bobDid, 'online', ['echo']]],
      );
      const table = await cli('agents', '--dir', 'alice', '--capability', 'echo');
      assert.match(table.stdout, /^NAME +STATUS +ROLE +CAPABILITIES +LOAD +TRUST +DID$/m);
      assert.match(table.stdout, new RegExp(`^bob +online +assistant +echo +0\\.00 +\\S+ +${bobDid}$`, 'm'));
      const none = await cli('agents', '--dir', 'alice', '--capability', 'nobody-has-this');
      assert.equal(none.stdout.trim(), '(no agents)');
    });

    test('plexus tasks dispatch, get, list and cancel', async () => {
      interface Task {
        id: string;
        state: string;
        assignee: string | null;
        result: unknown;
        requester: string;
      }
      const done = json<{ task: Task }>(
        await cli(
          'tasks',
          'dispatch',
          '--dir',
          'alice',
          '--capability',
          'echo',
          '--input',
          '{"n":7}',
          '--wait',
          '--json',
        ),
      );
      assert.equal(done.task.state, 'completed');
      assert.equal(done.task.assignee, bobDid);
      assert.deepEqual(done.task.result, { echo: { n: 7 } });
      const got = json<{ task: Task }>(await cli('tasks', 'get', done.task.id, '--dir', 'alice', '--json'));
      assert.deepEqual([got.task.id, got.task.state], [done.task.id, 'completed']);

      const held = json<{ task: Task }>(
        await cli(
          'tasks',
          'dispatch',
          '--dir',
          'alice',
          '--capability',
          'echo',
          '--input',
          '{"hold":true}',
          '--json',
        ),
      );
      assert.ok(['submitted', 'working'].includes(held.task.state), held.task.state);
      const canceled = json<{ task: Task }>(
        await cli('tasks', 'cancel', held.task.id, '--reason', 'not needed', '--dir', 'alice', '--json'),
      );
      assert.equal(canceled.task.state, 'canceled');

      const listed = json<{ tasks: Task[] }>(await cli('tasks', 'list', '--dir', 'alice', '--json'));
      const states = new Map(listed.tasks.map((t) => [t.id, t.state]));
      assert.equal(states.get(done.task.id), 'completed');
      assert.equal(states.get(held.task.id), 'canceled');
      const onlyDone = json<{ tasks: Task[] }>(
        await cli('tasks', 'list', '--state', 'completed', '--dir', 'alice', '--json'),
      );
      assert.deepEqual(
        onlyDone.tasks.map((t) => t.id),
        [done.task.id],
      );
      const held2 = json<{ tasks: Task[] }>(
        await cli('tasks', 'list', '--role', 'assignee', '--dir', 'bob', '--json'),
      );
      assert.ok(
        held2.tasks.some((t) => t.id === done.task.id),
        'bob held it',
      );

      const table = await cli('tasks', 'get', done.task.id, '--dir', 'alice');
      assert.match(table.stdout, /^state +completed$/m);
      assert.match(table.stdout, /^result +\{"echo":\{"n":7\}\}$/m);
    });

    test('plexus memory remember, recall and graph', async () => {
      const kept = json<{ item: { id: string; text: string; metadata: unknown } }>(
        await cli(
          'memory',
          'remember',
          '--dir',
          'alice',
          '--meta',
          'topic=cars',
          'the',
          'car mechanic fixes vehicles',
          '--json',
        ),
      );
      assert.equal(kept.item.text, 'the car mechanic fixes vehicles');
      assert.deepEqual(kept.item.metadata, { topic: 'cars' });
      const found = json<{ items: { id: string }[] }>(
        await cli('memory', 'recall', '--dir', 'alice', 'mechanic', '--where', 'topic=cars', '--json'),
      );
      assert.deepEqual(
        found.items.map((i) => i.id),
        [kept.item.id],
      );
      // Private by default: bob does not see alice's note.
      const other = json<{ items: unknown[] }>(
        await cli('memory', 'recall', '--dir', 'bob', 'mechanic', '--json'),
      );
      assert.deepEqual(other.items, []);
      const graph = json<{ entities: unknown[]; relations: unknown[] }>(
        await cli('memory', 'graph', '--dir', 'alice', '--json'),
      );
      assert.deepEqual(graph, { entities: [], relations: [] });
    });

    test('plexus agent vouch signs an attestation that counts in trust', async () => {
      const vouched = json<{
        subject: string;
        positive: boolean;
        trust: { attestations: number; score: number };
      }>(await cli('agent', 'vouch', 'bob', '--reason', 'reliable', '--dir', 'alice', '--json'));
      assert.equal(vouched.subject, bobDid);
      assert.equal(vouched.positive, true);
      assert.equal(vouched.trust.attestations, 1);
      const self = await cli('agent', 'vouch', aliceDid, '--dir', 'alice');
      assert.equal(self.code, 2);
      assert.match(self.stderr, /cannot vouch for itself/);
    });

    test('a malformed DID is said to be malformed, an unknown name unknown', async () => {
      const malformed = await cli('agent', 'send', '--dir', 'alice', '--to', 'did:key:z6MkNOPE', 'hello');
      assert.equal(malformed.code, 2, malformed.stderr);
      assert.match(malformed.stderr, /--to: 'did:key:z6MkNOPE' is a malformed DID/);
      const vouchMalformed = await cli('agent', 'vouch', 'did:key:zzz', '--dir', 'alice');
      assert.match(vouchMalformed.stderr, /malformed DID/);
      assert.doesNotMatch(vouchMalformed.stderr, /no agent named/);
      const unknown = await cli('agent', 'send', '--dir', 'alice', '--to', 'nobody', 'hello');
      assert.match(unknown.stderr, /no agent named 'nobody'/);
      const prefer = await cli(
        'tasks',
        'dispatch',
        '--dir',
        'alice',
        '--capability',
        'echo',
        '--prefer',
        'did:key:x',
      );
      assert.equal(prefer.code, 2, prefer.stderr);
      assert.match(prefer.stderr, /^plexus tasks dispatch: --prefer: 'did:key:x' is a malformed DID/m);
      // Acting as an agent needs one.
      const nobody = await cli('tasks', 'list', '--dir', 'nowhere');
      assert.equal(nobody.code, 2);
      assert.match(nobody.stderr, /there is none in .*nowhere.*plexus agent init/);
    });

    test("the hub's log (not a terminal: JSON lines) leaves the banner to stdout, requests to debug", () => {
      assert.ok(hub.errLines.length > 0);
      for (const line of hub.errLines) {
        const entry = JSON.parse(line) as { msg?: string };
        assert.notEqual(entry.msg, 'http request', 'per-request lines are debug');
      }
      assert.ok(hub.lines.some((line) => line.startsWith('Plexus hub listening on')));
      assert.ok(
        hub.lines.every((line) => !line.startsWith('{')),
        'no JSON on stdout',
      );
    });

    test('ask says how the peer turns its endpoint on, and finds it once it has, at once', async () => {
      const before = await cli('agent', 'ask', '--dir', 'alice', '--to', 'bob', 'are you there?');
      assert.equal(before.code, 1);
      assert.match(before.stderr, /bob offers no endpoint of its own/);
      assert.match(before.stderr, /"p2p": \{"listen": true\} in its agent\.json/);
      // bob turns it on and restarts; alice's cached contact (no endpoint) does not keep blaming bob.
      await stop(bob);
      const file = path.join(root, 'bob', 'agent.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), p2p: { listen: true } }),
      );
      bob = startBob();
      await bob.waitFor(/^agent ready/);
      const asked = await cli('agent', 'ask', '--dir', 'alice', '--to', 'bob', 'are you there?');
      assert.equal(asked.code, 0, asked.stderr);
      assert.equal(asked.stdout.trim(), 'bob: heard: are you there?');
    });
  },
);
