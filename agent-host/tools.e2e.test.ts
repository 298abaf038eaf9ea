import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { loadIdentityFile } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import {
  startOllamaServer,
  type OllamaFixture,
  type RecordedRequest,
} from '../test/fixtures/ollama-server.ts';
import { initAgent, launch, runCli, stop, type Proc } from '../test/helpers/plexus-process.ts';
import { signedToolPackage } from '../sandbox/loader.ts';
import { HubSession } from './hub-session.ts';
import { LoopMemory } from './loop/memory.ts';

/**
 * Tool distribution with real processes: alice publishes a sandboxed tool package through the hub's registry,
 * bob finds it, installs it (signature, hash and policy checked) and his running agent's model calls it in
 * his sandbox; a new version reaches him with `tools update`; a withdrawn package stops being offered. After
 * alice rotates her key, what she signs with the new one is taken everywhere (her memory records by the hub and
 * by another agent, her package by the registry and by an installing agent) and the retired key is refused.
 */
const WAIT_MS = 120_000;
/** Each test runs processes one after another (about a second of CPU each): more than the default on a busy machine. */
const SERIAL_PROCESSES = { timeout: 300_000 };
const TOOL = 'greet';

interface OllamaChat {
  messages: { role: string; content: string }[];
  tools?: { function: { name: string } }[];
}
const chatOf = (request: RecordedRequest | undefined): OllamaChat => {
  assert.ok(request, 'the chat request was made');
  return request.body as OllamaChat;
};

function writePackage(dir: string, version: string, greeting: string): void {
  fs.mkdirSync(dir, { recursive: true });
  // Unsigned: publishing signs it with the publisher's identity.
  fs.writeFileSync(
    path.join(dir, 'plexus-tool.json'),
    JSON.stringify({
      name: TOOL,
      version,
      description: 'Greets someone by name',
      inputSchema: {
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
      outputSchema: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
      permissions: { fs: [], net: ['api.example.com'], memoryMb: 16, timeMs: 2000 },
      entry: 'index.js',
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `export default async function handler(input) {\n  return { greeting: \`${greeting}, \${input.name}!\` };\n}\n`,
  );
}

function findFile(dir: string, name: string): string {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return path.join(entry.parentPath, entry.name);
  }
  throw new Error(`no ${name} under ${dir}`);
}

describe('sandboxed tools published, installed and run by an agent, end to end', { timeout: 900_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-tools-e2e-'));
  const passphrase = `e2e-${process.pid}`;
  const procs: Proc[] = [];
  const sessions: HubSession[] = [];
  const pkg = path.join(root, 'pkg');
  let ollama: OllamaFixture;
  let hub: Proc;
  let bob: Proc;
  let hubUrl = '';
  let aliceDid = '';

  const env = () => ({ PLEXUS_HUB: hubUrl, PLEXUS_PASSPHRASE: passphrase });
  const cli = async (args: string[]) => runCli(args, env(), root);
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await cli([...args, '--json']);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };

  async function session(name: string): Promise<HubSession> {
    const identity = loadIdentityFile(path.join(root, name, 'identity.json'), { passphrase });
    const s = new HubSession({ hubUrl, identity, log: silentLogger, timeoutMs: 30_000 });
    sessions.push(s);
    await s.open();
    return s;
  }

  /** Dispatches a task to bob whose model calls `tool` (when given) and answers with what it returned. */
  async function task(alice: HubSession, tool: string | null) {
    if (tool)
      ollama.script.chat.enqueue({ toolCalls: [{ name: tool, arguments: { name: 'Ada' } }] }, (req) => ({
        content: `tool said ${chatOf(req)
          .messages.find((m) => m.role === 'tool')
          ?.content.trim()}`,
      }));
    else ollama.script.chat.enqueue({ content: 'no tool needed' });
    const chatsBefore = ollama.requestsTo('/api/chat').length;
    const { task } = await alice.servers.registry.dispatchTask({
      capability: 'greeting',
      input: 'Greet Ada',
    });
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const { task: now } = await alice.servers.registry.getTask({ id: task.id });
      if (['completed', 'failed', 'canceled', 'rejected'].includes(now.state)) {
        const offered = (chatOf(ollama.requestsTo('/api/chat')[chatsBefore]).tools ?? []).map(
          (t) => t.function.name,
        );
        return { task: now, offered, answer: (now.result as { answer?: string } | null)?.answer ?? '' };
      }
      if (Date.now() > until) assert.fail(`task ${task.id} still ${now.state}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** The sandbox reloads its folder shortly after a change: ask until the running agent sees it. */
  async function eventually<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const value = await attempt();
      if (done(value)) return value;
      if (Date.now() > until) assert.fail(`not reached: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  before(
    async () => {
      ollama = await startOllamaServer();
      hub = launch(
        ['hub', '--port', '0', '--data', path.join(root, 'hub'), '--log-level', 'warn'],
        { OLLAMA_HOST: ollama.url },
        root,
      );
      procs.push(hub);
      hubUrl =
        /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
      aliceDid = await initAgent(root, 'alice', { passphrase, config: { defaultTools: false } });
      await initAgent(root, 'bob', {
        passphrase,
        args: ['--capability', 'greeting'],
        config: { filesystemRoots: ['files'] },
      });
      await initAgent(root, 'carol', { passphrase, config: { defaultTools: false } });
      fs.writeFileSync(path.join(root, 'bob', 'loop.json'), JSON.stringify({ syncIntervalMs: 0 }));
      writePackage(pkg, '1.0.0', 'Hello');
    },
    { timeout: 300_000 },
  );

  after(async () => {
    for (const s of sessions) await s.close();
    for (const proc of procs.reverse()) await stop(proc);
    await ollama?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test(
    'published, found, refused when tampered or untrusted, installed and run in the sandbox',
    SERIAL_PROCESSES,
    async () => {
      const published = await json<{
        tool: { id: string; version: string; package_sha256: string };
        created: boolean;
      }>(['tools', 'publish', pkg, '--dir', 'alice', '--capability', 'greeting']);
      assert.equal(published.created, true);
      assert.equal(published.tool.version, '1.0.0');

      const found = await json<{ tools: { name: string; author: string }[] }>([
        'tools',
        'search',
        'greets',
        '--dir',
        'bob',
      ]);
      assert.deepEqual(
        found.tools.map((t) => [t.name, t.author]),
        [[TOOL, aliceDid]],
      );
      const table = await cli(['tools', 'search', 'greets', '--dir', 'bob']);
      assert.match(table.stdout, /^NAME\s+VERSION\s+KIND\s+AUTHOR\s+DESCRIPTION$/m);

      // A registry (or anything between) that serves altered code is refused: the signed hash does not match.
      const db = new Database(findFile(path.join(root, 'hub'), 'registry.db'));
      const original = db.prepare('SELECT content FROM registry_tool_packages').get() as { content: Buffer };
      const evil = Buffer.from('export default async () => ({ greeting: "pwned" });\n');
      db.prepare('UPDATE registry_tool_packages SET content = ?').run(evil);
      const tampered = await cli(['agent', 'tools', 'install', TOOL, '--dir', 'bob']);
      assert.equal(tampered.code, 1);
      assert.match(tampered.stderr, /does not match the signed entrySha256/);
      db.prepare('UPDATE registry_tool_packages SET content = ?').run(original.content);
      db.close();
      assert.deepEqual(fs.readdirSync(path.join(root, 'bob', 'tools')), [], 'nothing left behind');

      // bob's policy asks more trust in an author than alice has.
      const config = JSON.parse(fs.readFileSync(path.join(root, 'bob', 'agent.json'), 'utf8')) as object;
      fs.writeFileSync(
        path.join(root, 'bob', 'agent.json'),
        JSON.stringify({ ...config, sandbox: { policy: { minTrust: 0.99 } } }),
      );
      const untrusted = await cli(['agent', 'tools', 'install', TOOL, '--dir', 'bob']);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /below the minimum 0\.99/);
      fs.writeFileSync(path.join(root, 'bob', 'agent.json'), JSON.stringify(config));

      const installed = await json<{
        action: string;
        version: string;
        author: string;
        narrowed: string[];
        serving: unknown;
      }>(['agent', 'tools', 'install', TOOL, '--dir', 'bob']);
      assert.equal(installed.action, 'installed');
      assert.equal(installed.serving, null, 'bob is not running: nothing serves it yet');
      assert.equal(installed.author, aliceDid);
      assert.equal(installed.narrowed.length, 1, 'the network host it asked for is not granted by default');
      const again = await json<{ action: string }>(['tools', 'install', TOOL, '--dir', 'bob']);
      assert.equal(again.action, 'unchanged');
      const sandboxless = await cli(['agent', 'tools', 'install', TOOL, '--dir', 'alice']);
      assert.equal(sandboxless.code, 0, sandboxless.stderr);
      assert.match(sandboxless.stdout, /this agent runs no sandbox \("defaultTools": false/);
      const listed = await json<{ tools: { name: string; version: string }[] }>([
        'agent',
        'tools',
        'list',
        '--dir',
        'bob',
      ]);
      assert.deepEqual(
        listed.tools.map((t) => [t.name, t.version]),
        [[TOOL, '1.0.0']],
      );

      bob = launch(['agent', 'start', '--dir', 'bob'], { ...env(), PLEXUS_INBOX_POLL_MS: '200' }, root);
      procs.push(bob);
      await bob.waitFor(/^agent ready/);
      const alice = await session('alice');
      const { task: done, offered, answer } = await task(alice, `sandbox__${TOOL}`);
      assert.equal(done.state, 'completed', JSON.stringify(done));
      assert.ok(offered.includes(`sandbox__${TOOL}`), offered.join(', '));
      assert.deepEqual((done.result as { tool_calls: string[] }).tool_calls, [`sandbox__${TOOL}`]);
      assert.match(answer, /"greeting":\s*"Hello, Ada!"/);
    },
  );

  test('a new version reaches the agent with tools update', SERIAL_PROCESSES, async () => {
    writePackage(pkg, '2.0.0', 'Howdy');
    const republished = await json<{ created: boolean; tool: { version: string } }>([
      'tools',
      'publish',
      pkg,
      '--dir',
      'alice',
    ]);
    assert.equal(republished.created, false);
    assert.equal(republished.tool.version, '2.0.0');
    const { results } = await json<{
      results: { name: string; action: string; version: string; serving: unknown }[];
    }>(['agent', 'tools', 'update', '--dir', 'bob']);
    assert.deepEqual(
      results.map((r) => [r.name, r.action, r.version, r.serving]),
      [[TOOL, 'updated', '2.0.0', { state: 'served' }]],
      'update waits until the running agent serves the new version',
    );
    // Served already: the very next task runs the new version.
    const alice = await session('alice');
    const { answer } = await task(alice, `sandbox__${TOOL}`);
    assert.match(answer, /"greeting":\s*"Howdy, Ada!"/);
    writePackage(pkg, '2.0.1', 'Hi');
    await json(['tools', 'publish', pkg, '--dir', 'alice']);
    const told = await cli(['agent', 'tools', 'update', '--dir', 'bob']);
    assert.equal(told.code, 0, told.stderr);
    assert.equal(
      told.stdout,
      `${TOOL}: updated (2.0.1)\n  the running agent serves it as sandbox__${TOOL}\n`,
    );
  });

  test(
    'a withdrawn package is no longer offered: not found, not installable, removed on update',
    SERIAL_PROCESSES,
    async () => {
      const withdrawn = await json<{ withdrawn: { name: string } }>([
        'tools',
        'withdraw',
        TOOL,
        '--dir',
        'alice',
      ]);
      assert.equal(withdrawn.withdrawn.name, TOOL);
      const found = await json<{ tools: unknown[] }>(['tools', 'search', 'greets', '--dir', 'carol']);
      assert.deepEqual(found.tools, []);
      const install = await cli(['agent', 'tools', 'install', TOOL, '--dir', 'carol']);
      assert.equal(install.code, 1);
      assert.match(install.stderr, /no tool named 'greet' is published/);

      const { results } = await json<{ results: { name: string; action: string }[] }>([
        'agent',
        'tools',
        'update',
        '--dir',
        'bob',
      ]);
      assert.deepEqual(
        results.map((r) => [r.name, r.action]),
        [[TOOL, 'withdrawn']],
      );
      const alice = await session('alice');
      const { offered } = await eventually(
        () => task(alice, null),
        (r) => !r.offered.includes(`sandbox__${TOOL}`),
      );
      assert.ok(offered.includes('filesystem__read_text_file'), 'the other tools are still there');
    },
  );

  test(
    'after rotate-key, her memory syncs and is recalled and her package installs; the retired key is refused',
    SERIAL_PROCESSES,
    async () => {
      const file = path.join(root, 'alice', 'identity.json');
      const old = loadIdentityFile(file, { passphrase });
      const rotated = await cli(['agent', 'rotate-key', '--dir', 'alice']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const now = loadIdentityFile(file, { passphrase });
      assert.notDeepEqual(now.keys.signing.secretKey, old.keys.signing.secretKey);
      const alice = await session('alice');
      const carol = await session('carol');

      // Memory: signed with the new key, pushed by alice's own memory, pulled and checked by carol's.
      // Each agent's local memory (the agent loop's), synced through the hub as the agent.
      const memoryOf = (name: string, did: string, secretKey: Uint8Array) => {
        const dataDir = fs.mkdtempSync(path.join(root, `${name}-memory-`));
        return new LoopMemory({ dataDir, did, signer: { did, secretKey } });
      };
      const carolKeys = loadIdentityFile(path.join(root, 'carol', 'identity.json'), { passphrase });
      const aliceMemory = memoryOf('alice', aliceDid, now.keys.signing.secretKey);
      const carolMemory = memoryOf('carol', carolKeys.did, carolKeys.keys.signing.secretKey);
      try {
        await aliceMemory.remember('the rotated key signs this fact about lighthouses', { kind: 'public' });
        const pushed = await aliceMemory.sync(alice.client, false);
        assert.deepEqual(pushed.rejected, []);
        assert.ok(pushed.pushed >= 1);
        const pulled = await carolMemory.sync(carol.client, false);
        assert.ok(pulled.pulled >= 1, JSON.stringify(pulled));
        const hits = await carolMemory.recall('lighthouses', 5);
        assert.ok(
          hits.some((hit) => hit.text.includes('lighthouses') && hit.provenance.author === aliceDid),
          'carol recalls what alice remembered after her rotation',
        );
      } finally {
        await aliceMemory.close();
        await carolMemory.close();
      }
      // Whoever holds the retired key cannot add to alice's memory any more.
      const thief = memoryOf('thief', aliceDid, old.keys.signing.secretKey);
      try {
        await thief.remember('forged after the rotation', { kind: 'public' });
        const report = await thief.sync(alice.client, false);
        assert.deepEqual(
          report.rejected.map((r) => r.code),
          ['signature_invalid'],
        );
      } finally {
        await thief.close();
      }

      // A package: signed with the new key (its chain of rotations inside), published, installed by carol.
      writePackage(pkg, '3.0.0', 'Greetings');
      const published = await json<{ tool: { version: string } }>([
        'tools',
        'publish',
        pkg,
        '--dir',
        'alice',
      ]);
      assert.equal(published.tool.version, '3.0.0');
      // One signed with the retired key: refused by the registry, and by an installing agent when a registry
      // serves it anyway.
      const byOldKey = await signedToolPackage(pkg, { did: aliceDid, secretKey: old.keys.signing.secretKey });
      await assert.rejects(
        alice.servers.registry.publishTool({ manifest: byOldKey.manifest, code: byOldKey.source }),
        {
          code: 'signature_invalid',
        },
      );
      const db = new Database(findFile(path.join(root, 'hub'), 'registry.db'));
      const entry = db.prepare('SELECT entry FROM registry_tools WHERE name = ?').get(TOOL) as {
        entry: string;
      };
      db.prepare('UPDATE registry_tools SET entry = ? WHERE name = ?').run(
        JSON.stringify(byOldKey.manifest),
        TOOL,
      );
      const refused = await cli(['agent', 'tools', 'install', TOOL, '--dir', 'carol']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is signed by a key that was not .+'s when it was published/);
      db.prepare('UPDATE registry_tools SET entry = ? WHERE name = ?').run(entry.entry, TOOL);
      db.close();
      const installed = await json<{ action: string; version: string; author: string }>([
        'agent',
        'tools',
        'install',
        TOOL,
        '--dir',
        'carol',
      ]);
      assert.deepEqual(
        [installed.action, installed.version, installed.author],
        ['installed', '3.0.0', aliceDid],
      );
    },
  );
});
