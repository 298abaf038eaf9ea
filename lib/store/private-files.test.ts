import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { capturingLogger, type LogLine } from '../../test/helpers/log-capture.ts';
import { tempDir } from '../../test/helpers/fixtures.ts';
import { createLogger, type Logger } from '../log.ts';
import { privateDir, privateFile, privateSqliteFile } from './private-files.ts';
import { openSqlite } from './sqlite.ts';

// With no umask, anything not made owner-only on purpose would come out readable (and writable) by all.
let umask = 0;
before(() => {
  umask = process.umask(0);
});
after(() => {
  process.umask(umask);
});

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
const tightened = <L extends { msg: string }>(lines: L[]) =>
  lines.filter((l) => l.msg.startsWith('tightened '));

test('privateDir creates missing folders 0700 and tightens an existing one, saying so', (t) => {
  const root = tempDir(t);
  const nested = path.join(root, 'a', 'b');
  const { log, lines } = capturingLogger();
  privateDir(nested, log);
  assert.equal(modeOf(path.join(root, 'a')), 0o700);
  assert.equal(modeOf(nested), 0o700);
  assert.deepEqual(lines, [], 'nothing to report for a folder it made');

  fs.chmodSync(nested, 0o755);
  privateDir(nested, log);
  assert.equal(modeOf(nested), 0o700);
  assert.equal(tightened(lines).length, 1);
  assert.equal(lines[0]?.['path'], nested);
  assert.equal(lines[0]?.['was'], '0755');
  assert.equal(lines[0]?.['now'], '0700');
});

test('privateFile creates a missing file 0600 and tightens an existing 0644 one without touching its content', (t) => {
  const dir = tempDir(t);
  const { log, lines } = capturingLogger();
  const fresh = path.join(dir, 'fresh');
  privateFile(fresh, log);
  assert.equal(modeOf(fresh), 0o600);

  const old = path.join(dir, 'old');
  fs.writeFileSync(old, 'secret', { mode: 0o644 });
  privateFile(old, log);
  assert.equal(modeOf(old), 0o600);
  assert.equal(fs.readFileSync(old, 'utf8'), 'secret');
  assert.deepEqual(
    tightened(lines).map((l) => [l['path'], l['was']]),
    [[old, '0644']],
  );
  privateFile(old, log);
  assert.equal(tightened(lines).length, 1, 'an owner-only file is left alone');
});

test('a SQLite store: file, -wal and -shm are 0600, and an existing 0644 file and side files are tightened', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'store', 'data.db');
  const db = openSqlite({ path: file });
  db.exec('CREATE TABLE t (x TEXT); INSERT INTO t VALUES (1)');
  assert.equal(modeOf(path.dirname(file)), 0o700);
  for (const name of ['data.db', 'data.db-wal', 'data.db-shm']) {
    assert.equal(modeOf(path.join(dir, 'store', name)), 0o600, name);
  }
  db.close();

  // As left by an older version: the database and its side files readable by everyone.
  const old = path.join(dir, 'old.db');
  const first = openSqlite({ path: old });
  first.exec('CREATE TABLE t (x TEXT)');
  for (const name of ['old.db', 'old.db-wal', 'old.db-shm']) fs.chmodSync(path.join(dir, name), 0o644);
  const { log, lines } = capturingLogger();
  privateSqliteFile(old, log);
  for (const name of ['old.db', 'old.db-wal', 'old.db-shm']) {
    assert.equal(modeOf(path.join(dir, name)), 0o600, name);
  }
  assert.deepEqual(
    tightened(lines)
      .map((l) => path.basename(String(l['path'])))
      .sort(),
    ['old.db', 'old.db-shm', 'old.db-wal'],
  );
  first.close();

  fs.chmodSync(old, 0o644);
  const reopened = openSqlite({ path: old, log });
  t.after(() => reopened.close());
  assert.equal(modeOf(old), 0o600);
  assert.equal(tightened(lines).length, 4, 'openSqlite tightens and logs too');
});

/** Ends a file logger's destination once it has opened, with everything written. */
async function closeLog(log: Logger): Promise<void> {
  const stream = (log as unknown as Record<symbol, EventEmitter & { fd: number; end(): void }>)[
    pino.symbols.streamSym
  ];
  if (!stream) throw new Error('no destination');
  if (stream.fd < 0) await once(stream, 'ready');
  stream.end();
  await once(stream, 'close');
}

test('a log file and its folder are owner-only; an existing 0644 log is tightened and says so in itself', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'logs', 'agent.log');
  const log = createLogger({ name: 'test', file });
  log.info('hello');
  await closeLog(log);
  assert.equal(modeOf(path.dirname(file)), 0o700);
  assert.equal(modeOf(file), 0o600);

  fs.chmodSync(file, 0o644);
  fs.chmodSync(path.dirname(file), 0o755);
  await closeLog(createLogger({ name: 'test', file }));
  assert.equal(modeOf(file), 0o600);
  assert.equal(modeOf(path.dirname(file)), 0o700);
  const said = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine);
  assert.equal(tightened(said).length, 2);
});
