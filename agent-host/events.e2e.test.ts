import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { initAgent, launch, runCli, stop, type Proc, agentLogLine } from '../test/helpers/plexus-process.ts';

// A hub and an agent as real processes: the agent acts on system events about its peers and its tasks.

// A brain whose tasks run until they are stopped.
const BRAIN = `
export function createBrain() {
  return {
    async onMessage() {},
    onTask(task, ctx) {
      process.stdout.write('working on ' + task.id + '\\n');
      return new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve({ state: 'failed', error: 'stopped' }));
      });
    },
  };
}
`;
/** Each test runs processes one after another (about a second of CPU each): more than the default on a busy machine. */
const SERIAL_PROCESSES = { timeout: 300_000 };

describe('system events reach a running agent', { timeout: 600_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-events-e2e-'));
  const passphrase = `e2e-${process.pid}`;
  const procs: Proc[] = [];
  let hubUrl = '';
  const env = () => ({ PLEXUS_HUB: hubUrl, PLEXUS_PASSPHRASE: passphrase, PLEXUS_INBOX_POLL_MS: '200' });

  const logLine = (name: string, match: (line: Record<string, unknown>) => boolean) =>
    agentLogLine(path.join(root, name), match);

  const contacts = (name: string): string[] => {
    const db = new Database(path.join(root, name, 'data', 'agent.db'), { readonly: true });
    try {
      return (db.prepare('SELECT did FROM contacts').all() as { did: string }[]).map((r) => r.did);
    } finally {
      db.close();
    }
  };

  before(
    async () => {
      const hub = launch(
        ['hub', '--port', '0', '--data', path.join(root, 'hub'), '--log-level', 'warn'],
        {},
        root,
      );
      procs.push(hub);
      hubUrl =
        /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';
      await initAgent(root, 'alice', { passphrase, config: { defaultTools: false } });
      fs.writeFileSync(path.join(root, 'brain.mjs'), BRAIN);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    for (const proc of procs.reverse()) await stop(proc);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("a revoked peer's contact is dropped", SERIAL_PROCESSES, async () => {
    const alice = launch(['agent', 'start', '--dir', 'alice'], env(), root);
    procs.push(alice);
    await alice.waitFor(/^agent ready/);
    const bobDid = await initAgent(root, 'bob', { passphrase, config: { defaultTools: false } });
    const sent = await runCli(['agent', 'send', '--dir', 'bob', '--to', 'alice', 'hello alice'], env(), root);
    assert.equal(sent.code, 0, sent.stderr);
    await alice.waitFor(/^message from bob: hello alice$/);
    await logLine('alice', (l) => l['msg'] === 'message stored' && l['from'] === bobDid);
    assert.ok(contacts('alice').includes(bobDid), 'alice knows bob');

    const revoked = await runCli(['agent', 'revoke', '--dir', 'bob', '--yes'], env(), root);
    assert.equal(revoked.code, 0, revoked.stderr);
    await logLine('alice', (l) => l['msg'] === 'revoked peer dropped from contacts' && l['peer'] === bobDid);
    assert.ok(!contacts('alice').includes(bobDid));
    const refused = await runCli(
      ['agent', 'send', '--dir', 'alice', '--to', bobDid, 'still there?'],
      env(),
      root,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is revoked; messages to it are refused/);
  });

  test(
    'a task.canceled event stops the task the agent runs, with no task/cancel message',
    SERIAL_PROCESSES,
    async () => {
      const carol = 'carol';
      await initAgent(root, carol, {
        passphrase,
        args: ['--capability', 'wait-forever'],
        config: { defaultTools: false },
      });
      const worker = launch(['agent', 'start', '--dir', carol, '--brain', 'brain.mjs'], env(), root);
      procs.push(worker);
      await worker.waitFor(/^agent ready/);
      await initAgent(root, 'dave', { passphrase, config: { defaultTools: false } });
      const dispatched = await runCli(
        ['tasks', 'dispatch', '--dir', 'dave', '--capability', 'wait-forever', '--json'],
        env(),
        root,
      );
      assert.equal(dispatched.code, 0, dispatched.stderr);
      const taskId = (JSON.parse(dispatched.stdout) as { task: { id: string } }).task.id;
      await worker.waitFor(new RegExp(`^working on ${taskId}$`));

      // Only the event: the registry's task/cancel message is what a cancel_task would add.
      const minted = await runCli(
        ['token', 'create', '--scope', 'admin', '--ttl', '10m', '--data', path.join(root, 'hub'), '--json'],
        {},
        root,
      );
      assert.equal(minted.code, 0, minted.stderr);
      const { token } = JSON.parse(minted.stdout) as { token: string };
      const operator = new Client({ name: 'events-e2e', version: '1' });
      await operator.connect(
        new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const published = await operator.callTool({
          name: 'router__publish_event',
          arguments: { type: 'task.canceled', subject: taskId, data: { reason: 'changed my mind' } },
        });
        assert.notEqual(published.isError, true, JSON.stringify(published.content));
      } finally {
        await operator.close();
      }
      await logLine(
        carol,
        (l) => l['msg'] === 'task canceled by its requester; stopping it' && l['task'] === taskId,
      );
      await logLine(carol, (l) => l['msg'] === 'task canceled; result dropped' && l['task'] === taskId);
    },
  );
});
