import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LoopMemory } from '../agent-host/loop/memory.ts';
import { Mailbox } from '../agent-host/mailbox.ts';
import { parseHubConfig } from '../hub/config.ts';
import { startHub } from '../hub/hub.ts';
import { openToOthers } from './helpers/file-modes.ts';
import { capturingLogger } from './helpers/log-capture.ts';
import { tempDir } from './helpers/fixtures.ts';

/**
 * Every file holding private data is owner-only: the hub's data dir with every core server's store, the
 * operator token and SQLite's side files, and an agent's mailbox, memory and logs. Files and folders an older
 * version left readable by others are tightened at start, with a log line naming each.
 */

// With no umask, anything not made owner-only on purpose would come out readable by every local user.
let umask = 0;
before(() => {
  umask = process.umask(0);
});
after(() => {
  process.umask(umask);
});

const tightenedPaths = (lines: { msg: string; path?: unknown }[]) =>
  lines.filter((l) => l.msg.startsWith('tightened ')).map((l) => String(l.path));

test("the hub's data dir and every store in it are owner-only; an old 0755 dir and 0644 store are tightened", async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  const oldStore = path.join(dataDir, 'router.db');
  fs.writeFileSync(oldStore, '', { mode: 0o644 });
  const { log, lines } = capturingLogger();
  const hub = await startHub({
    config: parseHubConfig({ port: 0, dataDir, servers: { automation: {} } }),
    log,
  });
  t.after(() => hub.close());
  // Something written everywhere: the stores have their WAL and shared-memory files now.
  for (const file of ['identity.sqlite', 'router.db', 'registry.db', 'memory.db', 'automation.db']) {
    assert.ok(fs.existsSync(path.join(dataDir, file)), file);
  }
  assert.ok(fs.existsSync(path.join(dataDir, 'operator-token')));
  assert.ok(fs.readdirSync(dataDir).some((name) => name.endsWith('-wal')));
  assert.deepEqual(openToOthers(dataDir), []);
  assert.deepEqual(tightenedPaths(lines).sort(), [dataDir, oldStore].sort());
});

test("an agent's mailbox, memory and logs are owner-only; an old 0644 mailbox is tightened", async (t) => {
  const agentDir = tempDir(t);
  const storage = path.join(agentDir, 'data');
  fs.mkdirSync(storage, { mode: 0o700 });
  const oldMailbox = path.join(storage, 'agent.db');
  fs.writeFileSync(oldMailbox, '', { mode: 0o644 });
  const { log, lines } = capturingLogger();
  const mailbox = new Mailbox(oldMailbox, log);
  t.after(() => mailbox.close());
  mailbox.setState('cursor', 'x');
  const memory = new LoopMemory({ dataDir: storage, did: 'did:key:z6MkTest', log });
  t.after(() => memory.close());
  await memory.episode('thread', 'user', 'a private conversation');
  assert.deepEqual(openToOthers(storage), []);
  assert.deepEqual(tightenedPaths(lines), [oldMailbox]);
});
