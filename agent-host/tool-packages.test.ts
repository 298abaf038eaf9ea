import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { createSandbox } from '../sandbox/component.ts';
import { readServing, servingFile } from '../sandbox/serving.ts';
import { newAuthor, signedFixtures, tempDir } from '../sandbox/test-support.ts';
import { SandboxPolicy, type SandboxPolicyInput } from '../schemas/sandbox/tool-package.ts';
import { awaitServed, type ToolTarget } from './tool-packages.ts';

const WAIT_MS = 120_000;

/**
 * An agent's tools folder and its sandbox's data dir, a signed `echo` package staged beside them, and how to
 * start a sandbox over the folder (as a running agent has) and to install the package (one rename, as
 * `plexus agent tools install` puts it in place).
 */
async function setUp(t: TestContext, policy: SandboxPolicyInput = {}) {
  const root = tempDir(t, 'plexus-tool-packages-');
  const toolsDir = path.join(root, 'tools');
  const staged = path.join(root, 'staged');
  mkdirSync(toolsDir);
  mkdirSync(staged);
  const author = newAuthor();
  await signedFixtures(staged, ['echo'], author);
  const manifest = JSON.parse(readFileSync(path.join(staged, 'echo', 'plexus-tool.json'), 'utf8')) as {
    entrySha256: string;
  };
  const data = path.join(root, 'sandbox');
  const target: ToolTarget = {
    toolsDir,
    policy: SandboxPolicy.parse(policy),
    servingFile: servingFile(data),
  };
  return {
    target,
    echo: { name: 'echo', author: author.did, sha256: manifest.entrySha256 },
    start: async () => {
      const sandbox = await createSandbox(
        { toolsDir, policy, workers: 1 },
        { dataDir: data, log: silentLogger },
      );
      t.after(() => sandbox.close());
    },
    install: () => renameSync(path.join(staged, 'echo'), path.join(toolsDir, 'echo')),
  };
}

test('a package put in a running sandbox folder is waited for until the sandbox serves it', async (t) => {
  const { target, echo, start, install } = await setUp(t);
  await start();
  install();
  assert.deepEqual(await awaitServed(target, echo, WAIT_MS), { state: 'served' });
});

test('without a running sandbox there is nothing to wait for', async (t) => {
  const { target, echo, install } = await setUp(t);
  install();
  assert.equal(await awaitServed(target, echo, WAIT_MS), null);
});

test('a package the running sandbox does not serve is pending, or refused with why', async (t) => {
  const { target, echo, start, install } = await setUp(t, { tools: { echo: { deny: true } } });
  await start();
  assert.deepEqual(await awaitServed(target, echo, 0), { state: 'pending' });
  install();
  for (let i = 0; readServing(target.servingFile)?.failures.length !== 1; i++) {
    assert.ok(i < WAIT_MS / 100, 'the sandbox reloads its folder');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const refused = await awaitServed(target, echo, 0);
  assert.equal(refused?.state, 'refused');
  assert.equal(refused.state === 'refused' && refused.code, 'tool_denied');
});
