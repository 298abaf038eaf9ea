import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.resolve(import.meta.dirname, '..');
const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  version: string;
};
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('npm', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });

test('plexus runs as an installed command: npx in the checkout, npm link anywhere', (t) => {
  assert.equal(
    npm(['exec', '--offline', '--', 'plexus', '--version'], repo).trim(),
    `plexus ${version} (node ${process.versions.node})`,
  );
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-link-'));
  t.after(() => fs.rmSync(prefix, { recursive: true, force: true }));
  npm(['link', '--ignore-scripts', '--offline'], repo, { NPM_CONFIG_PREFIX: prefix });
  const linked = path.join(prefix, 'bin', 'plexus');
  const out = execFileSync(linked, ['--version'], { cwd: os.tmpdir(), encoding: 'utf8' });
  assert.equal(out.split(' ')[1], version);
  const help = execFileSync(linked, ['--help'], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const command of ['status', 'agents', 'tasks', 'memory', 'agent'])
    assert.match(help, new RegExp(`^  ${command} `, 'm'));
});
