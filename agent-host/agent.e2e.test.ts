import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOllamaServer, type OllamaFixture } from '../test/fixtures/ollama-server.ts';
import {
  allBytes,
  initAgent as initAgentIn,
  launch,
  runCli,
  stop,
  type Proc,
} from '../test/helpers/plexus-process.ts';
import { openToOthers } from '../test/helpers/file-modes.ts';
import { freePort } from '../test/helpers/ports.ts';

/**
 * End to end with real processes: a hub (`plexus hub`) and agents (`plexus agent start`) as children, the
 * other verbs run as one-shot commands beside them.
 */

describe('plexus agent, end to end', { timeout: 600_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-agent-e2e-'));
  const hubData = path.join(root, 'hub');
  const hubConfig = path.join(root, 'plexus.json');
  const procs: Proc[] = [];
  let hub: Proc;
  let hubUrl = '';
  const fast = {
    PLEXUS_RECONNECT_INTERVAL_MS: '200',
    PLEXUS_INBOX_POLL_MS: '200',
    PLEXUS_LOG_LEVEL: 'debug',
  };

  async function startHub(port: number): Promise<void> {
    hub = launch(
      ['hub', '--port', String(port), '--data', hubData, '--config', hubConfig],
      { OLLAMA_HOST: ollama.url },
      root,
    );
    procs.push(hub);
    const line = await hub.waitFor(/listening on (http:\/\/\S+)/);
    hubUrl = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
  }

  function agentEnv(passphrase: string): Record<string, string> {
    return { ...fast, PLEXUS_HUB: hubUrl, PLEXUS_PASSPHRASE: passphrase };
  }

  async function initAgent(name: string, passphrase: string): Promise<string> {
    // Tests need no local tool servers; the default set is covered where it is used.
    const did = await initAgentIn(root, name, { passphrase, config: { defaultTools: false } });
    // One automatic reply per thread (the count restarts with the process): the conversation stays finite.
    fs.writeFileSync(path.join(root, name, 'loop.json'), JSON.stringify({ maxRepliesPerThread: 1 }));
    return did;
  }

  function startAgent(name: string, passphrase: string): Proc {
    const proc = launch(['agent', 'start', '--dir', name], agentEnv(passphrase), root);
    procs.push(proc);
    return proc;
  }

  // The agents run the agent loop, thinking through the hub's llm router with this scripted model: it answers
  // "ping x" with "pong x" and anything else with "noted". The hub sees prompts in passing; it must keep none.
  let ollama: OllamaFixture;

  before(async () => {
    ollama = await startOllamaServer();
    ollama.script.chat.always((request) => {
      const { messages = [] } = request.body as { messages?: { role: string; content: string }[] };
      const last = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
      return { content: last.startsWith('ping ') ? `pong ${last.slice(5)}` : 'noted' };
    });
    fs.writeFileSync(hubConfig, JSON.stringify({ servers: { identity: { settings: {} } } }));
    await startHub(await freePort()); // outside the ephemeral range: the restart below reuses it
  });

  after(async () => {
    for (const proc of procs.reverse()) await stop(proc);
    await ollama?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function chatSurvivesRestart(): Promise<void> {
    const aliceDid = await initAgent('alice', 'alice-pass');
    const bobDid = await initAgent('bob', 'bob-pass');
    const alice = startAgent('alice', 'alice-pass');
    let bob = startAgent('bob', 'bob-pass');
    await alice.waitFor(/^agent ready/);
    await bob.waitFor(/^agent ready/);

    // bob → alice by name (her model answers), alice → bob by DID.
    const hello = await runCli(
      ['agent', 'send', '--dir', 'bob', '--to', 'alice', 'ping plaintext-canary-one'],
      agentEnv('bob-pass'),
      root,
    );
    assert.equal(hello.code, 0, hello.stderr);
    assert.match(
      await alice.waitFor(/plaintext-canary-one/),
      /^message from bob: ping plaintext-canary-one$/,
    );
    await bob.waitFor(/^message from alice: pong plaintext-canary-one$/);
    const back = await runCli(
      ['agent', 'send', '--dir', 'alice', '--to', bobDid, 'plaintext-canary-two'],
      agentEnv('alice-pass'),
      root,
    );
    assert.equal(back.code, 0, back.stderr);
    await bob.waitFor(/^message from alice: plaintext-canary-two$/);

    // bob goes offline (signs off), alice writes to him meanwhile: the hub holds it, sealed.
    await stop(bob);
    assert.equal(bob.child.exitCode, 0);
    const offline = await runCli(
      ['agent', 'send', '--dir', 'alice', '--to', 'bob', 'plaintext-canary-three'],
      agentEnv('alice-pass'),
      root,
    );
    assert.equal(offline.code, 0, offline.stderr);
    const offlineId = /sent (\S+)/.exec(offline.stdout)?.[1] ?? '';
    const stored = allBytes(hubData);
    assert.ok(stored.includes(offlineId), 'the hub stores the waiting envelope');
    assert.ok(stored.includes(aliceDid) && stored.includes(bobDid));
    for (const canary of ['plaintext-canary-one', 'plaintext-canary-two', 'plaintext-canary-three'])
      assert.ok(!stored.includes(canary), `the hub never sees "${canary}"`);

    // The hub restarts mid-conversation: alice reconnects by herself, nothing is lost.
    const port = Number(new URL(hubUrl).port);
    const mark = alice.lines.length;
    await stop(hub);
    await alice.waitFor(/^hub connection lost/, mark);
    await startHub(port);
    // The agent speaks MCP 2026-07-28 to the hub, before and after the restart.
    await alice.waitFor(/^connected to \S+ \(MCP 2026-07-28\) as alice /, mark);
    assert.ok(alice.lines.slice(0, mark).some((line) => /^connected to \S+ \(MCP 2026-07-28\) /.test(line)));
    bob = startAgent('bob', 'bob-pass');
    await bob.waitFor(/^message from alice: plaintext-canary-three$/);
    const during = await runCli(
      ['agent', 'send', '--dir', 'bob', '--to', 'alice', 'after the restart'],
      agentEnv('bob-pass'),
      root,
    );
    assert.equal(during.code, 0, during.stderr);
    await alice.waitFor(/^message from bob: after the restart$/, mark);

    // Each side's local store has the conversation (while the agent runs), sender names resolved.
    const inbox = await runCli(['agent', 'inbox', '--dir', 'bob', '--json'], {}, root);
    assert.equal(inbox.code, 0, inbox.stderr);
    const received = JSON.parse(inbox.stdout) as {
      id: string;
      peer: string;
      peerName: string;
      text: string;
    }[];
    assert.deepEqual(
      received.map((m) => [m.peer, m.peerName, m.text]),
      [
        [aliceDid, 'alice', 'pong plaintext-canary-one'],
        [aliceDid, 'alice', 'plaintext-canary-two'],
        [aliceDid, 'alice', 'plaintext-canary-three'],
      ],
    );
    assert.equal(received[2]?.id, offlineId);
    // What the agents and the hub keep (stores, their WAL files, logs, tokens) is theirs alone.
    for (const dir of [path.join(root, 'bob', 'data'), path.join(root, 'bob', 'logs'), hubData])
      assert.deepEqual(openToOthers(dir), []);
    // Acked after storing: nothing waits in the hub for bob any more, and no message is there twice.
    const acked = allBytes(hubData);
    assert.ok(!acked.includes('plaintext-canary'));
  }

  async function badStartsStopCleanly(): Promise<void> {
    await initAgent('carol', 'carol-pass');
    const identityFile = path.join(root, 'carol', 'identity.json');
    const original = fs.readFileSync(identityFile);

    const wrong = await runCli(['agent', 'start', '--dir', 'carol'], agentEnv('not-her-pass'), root);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong passphrase/);
    assert.deepEqual(fs.readFileSync(identityFile), original);

    const unreachable = await runCli(
      ['agent', 'start', '--dir', 'carol', '--hub', 'http://127.0.0.1:9'],
      agentEnv('carol-pass'),
      root,
    );
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
    assert.deepEqual(fs.readFileSync(identityFile), original);

    const revoked = await runCli(
      ['agent', 'revoke', '--dir', 'carol', '--yes', '--reason', 'test'],
      agentEnv('carol-pass'),
      root,
    );
    assert.equal(revoked.code, 0, revoked.stderr);
    const afterRevoke = fs.readFileSync(identityFile);
    const refused = await runCli(['agent', 'start', '--dir', 'carol'], agentEnv('carol-pass'), root);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /revoked/);
    assert.deepEqual(fs.readFileSync(identityFile), afterRevoke);

    fs.writeFileSync(identityFile, '{"format": "plexus-identity", "version": 1, "did": tru');
    const corrupted = await runCli(['agent', 'start', '--dir', 'carol'], agentEnv('carol-pass'), root);
    assert.equal(corrupted.code, 1);
    assert.match(corrupted.stderr, /identity\.json is not valid JSON/);
    assert.equal(
      fs.readFileSync(identityFile, 'utf8'),
      '{"format": "plexus-identity", "version": 1, "did": tru',
    );
  }

  // Each test starts a dozen processes one after another (hubs, agents, one-shot CLI verbs, each about a second
  // of CPU to load): on a loaded 2-core machine that takes longer than the runner's default for one test.
  const serialProcesses = { timeout: 300_000 };
  test(
    'chat is end-to-end encrypted, survives a hub restart and reaches an agent that was offline',
    serialProcesses,
    chatSurvivesRestart,
  );
  test(
    'a wrong passphrase, a corrupted identity, an unreachable hub and a revoked identity stop start cleanly',
    serialProcesses,
    badStartsStopCleanly,
  );
});
