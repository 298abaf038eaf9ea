import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../test/helpers/fixtures.ts';
import { nodeVersionProblem } from './node-version.cjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const ENTRY = path.join(ROOT, 'bin', 'plexus.cjs');

test('Node.js 24.12 and newer run Plexus; older ones get one line saying what to install', () => {
  for (const version of ['24.12.0', '24.22.3', '25.0.0', '26.1.0-pre', process.versions.node]) {
    assert.equal(nodeVersionProblem(version), null, version);
  }
  for (const version of ['24.11.1', '22.18.0', '20.20.2', '8.0.0', '0.10.48', 'garbage']) {
    const problem = nodeVersionProblem(version);
    assert.ok(problem, version);
    assert.ok(!problem.includes('\n'), 'one line');
    assert.ok(problem.includes(`this is ${version}`));
    assert.match(problem, /needs Node\.js 24\.12 or newer/);
    assert.match(problem, /nvm install 24/);
  }
});

/** A Node.js older than 24.12 on this machine (PLEXUS_OLD_NODE, else the system's), or null. */
function oldNode(): string | null {
  for (const candidate of [process.env['PLEXUS_OLD_NODE'], '/usr/bin/node', '/usr/local/bin/node']) {
    if (!candidate || !fs.existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (nodeVersionProblem(version)) return candidate;
  }
  return null;
}

const OLD_NODE = oldNode();
const NO_OLD_NODE = 'no Node.js older than 24.12 here (set PLEXUS_OLD_NODE to one)';
const run = promisify(execFile);

/** The environment of a shell whose `node` (and npm, when it is beside it) is the old one. */
function oldNodeEnv(oldNode: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: `${path.dirname(oldNode)}:${process.env['PATH'] ?? ''}` };
  for (const [key, value] of Object.entries(process.env)) {
    // npm passes its settings to `npm test` as npm_config_*: the npm under test reads only its own.
    if (!key.startsWith('npm_') && key !== 'PATH' && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return env;
}

test(
  'plexus on an old Node.js stops first thing with that one line',
  { skip: !OLD_NODE && NO_OLD_NODE },
  async (t) => {
    const cwd = tempDir(t);
    const old = OLD_NODE ?? '';
    const version = execFileSync(old, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    // As `npm start` runs it, and as the installed command runs it (through its #! line).
    for (const [file, args] of [
      [old, ['--no-node-snapshot', ENTRY, 'hub']],
      [ENTRY, ['--help']],
    ] as const) {
      const failed = await run(file, args, { env: oldNodeEnv(old), cwd, encoding: 'utf8' }).then(
        () => assert.fail(`${file} ${args.join(' ')} succeeded on Node.js ${version}`),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      assert.equal(failed.code, 1);
      assert.equal(failed.stdout, '');
      assert.equal(failed.stderr, `${nodeVersionProblem(version)}\n`);
    }
  },
);

test(
  'npm install on an old Node.js stops before fetching or building anything',
  { skip: !OLD_NODE && NO_OLD_NODE },
  async (t) => {
    const dir = tempDir(t);
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) {
      fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    const failed = await run('npm', ['install', '--offline'], {
      env: oldNodeEnv(OLD_NODE ?? ''),
      cwd: dir,
      encoding: 'utf8',
    }).then(
      () => assert.fail('npm install succeeded'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /EBADENGINE/);
    assert.match(failed.stderr, /Required: \{"node":">=24\.12"\}/);
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules')), 'nothing was installed or built');
  },
);
