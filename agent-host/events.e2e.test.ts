import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { initAgent, launch, runCli, stop, type Proc, agentLogLine } from '../test/helpers/plexus-process.ts';

// A hub and an agent as real processes: the agent acts on system events about its peers.
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
});
