import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
