import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { silentLogger } from '../lib/log.ts';
import { authInfoFor, connectInProcess } from '../lib/mcp/in-process.ts';
import { component, settingsFromArgs } from './component.ts';
import { newAuthor, signedFixtures, tempDir } from './test-support.ts';

test('settingsFromArgs reads plexus serve sandbox flags', (t) => {
  const dir = tempDir(t);
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ defaults: { kv: true }, overAsk: 'refuse' }));
  assert.deepEqual(
    settingsFromArgs(['--tools', 'tools', '--policy', policyFile, '--workers', '3', '--no-watch']),
    {
      toolsDir: 'tools',
      policy: { defaults: { kv: true }, overAsk: 'refuse' },
      workers: 3,
      watch: false,
    },
  );
  assert.throws(() => settingsFromArgs([]), /--tools/);
});

test('the component factory serves the tools folder with the composition context', async (t) => {
  const root = tempDir(t);
  const toolsDir = path.join(root, 'tools');
  mkdirSync(toolsDir);
  await signedFixtures(toolsDir, ['echo'], newAuthor());
  await assert.rejects(
    component({
      dataDir: root,
      log: silentLogger,
      now: Date.now,
      settings: { toolsDir, workers: 0 },
      connect: () => Promise.reject(new Error('no siblings')),
    }),
    /workers/,
  );
  const sandbox = await component({
    dataDir: root,
    log: silentLogger,
    now: Date.now,
    settings: settingsFromArgs(['--tools', toolsDir, '--workers', '1', '--no-watch']),
    connect: () => Promise.reject(new Error('no siblings')),
  });
  t.after(() => sandbox.close());
  const client = await connectInProcess(sandbox.createServer(), {
    authInfo: authInfoFor('operator:t', ['write']),
  });
  t.after(() => client.close());
  const result = await client.callTool({ name: 'echo', arguments: { text: 'composed' } });
  assert.deepEqual(result.structuredContent, { echo: 'composed' });
});

test('a kv store left readable by other users is made owner-only at start, with a log line', async (t) => {
  const root = tempDir(t);
  const toolsDir = path.join(root, 'tools');
  mkdirSync(toolsDir);
  const store = path.join(root, 'sandbox', 'kv.sqlite');
  mkdirSync(path.dirname(store));
  chmodSync(path.dirname(store), 0o755);
  writeFileSync(store, '');
  chmodSync(store, 0o644);
  const lines: string[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const sandbox = await component({
    dataDir: root,
    log,
    now: Date.now,
    settings: { toolsDir, workers: 1, watch: false },
    connect: () => Promise.reject(new Error('no siblings')),
  });
  t.after(() => sandbox.close());
  assert.equal(statSync(store).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(store)).mode & 0o777, 0o700);
  const tightened = lines.map((line) => JSON.parse(line) as { msg: string; file?: string });
  assert.deepEqual(
    tightened.filter((l) => /owner-only/.test(l.msg)).map((l) => l.file),
    [path.dirname(store), store],
  );
});
