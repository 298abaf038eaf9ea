import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../test/helpers/fixtures.ts';

const ENTRY = path.resolve(import.meta.dirname, 'plexus.cjs');
const run = promisify(execFile);

/** The environment of `plexus` with its cache under `home`, and no compile-cache setting of the caller's. */
function env(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { NODE_COMPILE_CACHE: _on, NODE_DISABLE_COMPILE_CACHE: _off, ...rest } = process.env;
  return { ...rest, XDG_CACHE_HOME: home, ...extra };
}

const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];

test('plexus keeps its compiled modules in a cache only its user can read, and runs the same from it', async (t) => {
  const home = tempDir(t);
  const dir = path.join(home, 'plexus', 'node-compile-cache');
  const first = await run(process.execPath, ['--no-node-snapshot', ENTRY, '--help'], { env: env(home) });
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.ok(filesUnder(dir).length > 0, 'the cache holds the compiled modules');
  const second = await run(process.execPath, ['--no-node-snapshot', ENTRY, '--help'], { env: env(home) });
  const output = (result: { stdout: string; stderr: string }) => result.stdout + result.stderr;
  assert.match(output(first), /usage: plexus/);
  assert.equal(output(second), output(first));
});

test('NODE_DISABLE_COMPILE_CACHE=1 leaves no cache behind', async (t) => {
  const home = tempDir(t);
  await run(process.execPath, ['--no-node-snapshot', ENTRY, '--help'], {
    env: env(home, { NODE_DISABLE_COMPILE_CACHE: '1' }),
  });
  assert.deepEqual(filesUnder(path.join(home, 'plexus', 'node-compile-cache')), []);
});
