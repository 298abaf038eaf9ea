import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { createSandbox } from './component.ts';
import { readServing, servingFile } from './serving.ts';
import { newAuthor, signedFixtures, tempDir } from './test-support.ts';

test('a sandbox says what it serves, and again after its folder changes', async (t) => {
  const root = tempDir(t);
  const toolsDir = path.join(root, 'tools');
  mkdirSync(toolsDir);
  const author = newAuthor();
  await signedFixtures(toolsDir, ['echo'], author);
  const sandbox = await createSandbox(
    { toolsDir, workers: 1, reloadDebounceMs: 0 },
    { dataDir: root, log: silentLogger },
  );
  t.after(() => sandbox.close());
  const file = servingFile(root);
  const first = readServing(file);
  assert.equal(first?.pid, process.pid);
  assert.deepEqual(
    first.tools.map((tool) => [tool.name, tool.author]),
    [['echo', author.did]],
  );
  assert.match(first.tools[0]?.entrySha256 ?? '', /^[0-9a-f]{64}$/);

  // A package refused (unsigned) is listed with why.
  mkdirSync(path.join(toolsDir, 'unsigned'));
  writeFileSync(path.join(toolsDir, 'unsigned', 'plexus-tool.json'), '{"name":"unsigned"}');
  rmSync(path.join(toolsDir, 'echo'), { recursive: true });
  for (let i = 0; ; i++) {
    const now = readServing(file);
    if (now?.tools.length === 0 && now.failures.length === 1) {
      assert.equal(now.failures[0]?.code, 'manifest_unsigned');
      assert.equal(now.failures[0]?.dir, path.join(toolsDir, 'unsigned'));
      break;
    }
    assert.ok(i < 1200, `the reload is not reported: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

test('no sandbox serves when the file is missing, unreadable or its process is gone', (t) => {
  const root = tempDir(t);
  const file = servingFile(root);
  assert.equal(readServing(file), null);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'not json');
  assert.equal(readServing(file), null);
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(file, JSON.stringify({ pid: gone, tools: [], failures: [] }));
  assert.equal(readServing(file), null);
  writeFileSync(file, JSON.stringify({ pid: process.pid, tools: [], failures: [] }));
  assert.deepEqual(readServing(file), { pid: process.pid, tools: [], failures: [] });
});
