import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createIdentityFile } from '../lib/identity/identity-file.ts';
import { verifyObjectByDid } from '../lib/crypto/signed-object.ts';
import { tempDir } from './test-support.ts';

const BIN = fileURLToPath(new URL('../bin/plexus.ts', import.meta.url));
const run = promisify(execFile);

async function plexus(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--no-node-snapshot', BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('plexus tool init, sign with an encrypted identity, and test', async (t) => {
  const root = tempDir(t);
  const dir = path.join(root, 'greeter');
  const identityPath = path.join(root, 'identity.json');
  const identity = createIdentityFile(
    identityPath,
    { name: 'author', role: 'tool author' },
    { passphrase: 'hunter22' },
  );

  const init = await plexus(['tool', 'init', dir]);
  assert.equal(init.code, 0, init.stderr);
  const again = await plexus(['tool', 'init', dir]);
  assert.equal(again.code, 1);
  assert.equal((JSON.parse(again.stderr) as { error: { code: string } }).error.code, 'package_exists');

  const noPass = await plexus(['tool', 'sign', dir, '--identity', identityPath]);
  assert.equal(noPass.code, 1);
  assert.match(noPass.stderr, /passphrase_required/);
  const signed = await plexus(
    ['tool', 'sign', dir, '--identity', identityPath, '--passphrase-env', 'TOOL_PASS'],
    {
      TOOL_PASS: 'hunter22',
    },
  );
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal((JSON.parse(signed.stdout) as { author: string }).author, identity.did);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'plexus-tool.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(verifyObjectByDid(manifest, identity.did), true);

  const ok = await plexus(['tool', 'test', dir, '--input', '{"name":"Ada"}']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { greeting: 'Hello, Ada!' });

  writeFileSync(
    path.join(dir, 'index.js'),
    'export default () => { throw new Error("broken on purpose"); };\n',
  );
  const tampered = await plexus(['tool', 'test', dir, '--input', '{"name":"Ada"}']);
  assert.equal(tampered.code, 1);
  assert.equal((JSON.parse(tampered.stderr) as { error: { code: string } }).error.code, 'entry_modified');

  await plexus(['tool', 'sign', dir, '--identity', identityPath], { PLEXUS_PASSPHRASE: 'hunter22' });
  const failing = await plexus(['tool', 'test', dir, '--input', '{"name":"Ada"}']);
  assert.equal(failing.code, 1);
  assert.equal(failing.stdout, '');
  const error = (
    JSON.parse(failing.stderr.trim().split('\n').at(-1) ?? '') as { error: { code: string; message: string } }
  ).error;
  assert.equal(error.code, 'tool_error');
  assert.match(error.message, /Error: broken on purpose/);

  appendFileSync(path.join(dir, 'index.js'), '\n');
  const badInput = await plexus(['tool', 'test', dir, '--input', 'not json']);
  assert.equal(badInput.code, 1);
  assert.match(badInput.stderr, /--input: not JSON/);
});
