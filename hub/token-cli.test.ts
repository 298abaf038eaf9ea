import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyAccessToken } from '../lib/auth/access-token.ts';
import { silentLogger } from '../lib/log.ts';
import { composeInProcess } from '../lib/mcp/local-composition.ts';
import { parseTtl } from './token-cli.ts';
import { component, identityDbPath } from '../servers/identity/component.ts';
import { ok } from '../servers/identity/test-support.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../bin/plexus.ts');

test('parseTtl reads seconds and unit suffixes', () => {
  assert.deepEqual(
    ['90', '90s', '15m', '1h', '30d', '2w'].map(parseTtl),
    [90, 90, 900, 3600, 2_592_000, 1_209_600],
  );
  assert.throws(() => parseTtl('1y'), /--ttl/);
});

test('plexus token create mints a token the running authority accepts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const minted = Date.now();
  const { stdout } = await run(
    process.execPath,
    [
      '--no-node-snapshot',
      CLI,
      'token',
      'create',
      '--scope',
      'read,admin',
      '--ttl',
      '1h',
      '--name',
      'ann',
      '--data',
      dataDir,
      '--json',
    ],
    {
      cwd: dataDir,
    },
  );
  const made = JSON.parse(stdout) as { token: string; subject: string; expires_at: number };
  const returned = Date.now();
  assert.equal(made.subject, 'operator:ann');
  assert.equal(statSync(identityDbPath(dataDir)).mode & 0o777, 0o600);

  const composition = await composeInProcess({ identity: component }, { dataDir, log: silentLogger });
  t.after(() => composition.close());
  const client = await composition.connect('identity');
  const jwks = await ok<{ keys: [] }>(client, 'get_jwks', {});
  const claims = await verifyAccessToken(made.token, {
    keys: jwks,
    issuer: 'urn:plexus:identity',
    audience: 'plexus',
    now: Date.now(),
  });
  assert.deepEqual([claims.subject, claims.scopes], ['operator:ann', ['read', 'admin']]);
  // --ttl 1h from the moment it was minted (the claim has whole seconds).
  assert.ok(claims.expiresAt >= minted + 3600_000 - 1000 && claims.expiresAt <= returned + 3600_000);

  await assert.rejects(
    run(
      process.execPath,
      ['--no-node-snapshot', CLI, 'token', 'create', '--scope', 'root', '--ttl', '1h', '--data', dataDir],
      { cwd: dataDir },
    ),
    // Said as the flag the person typed, not the tool's field (scopes.0), with the exit code of bad input.
    (error: { code?: number; stderr?: string }) =>
      error.code === 2 &&
      /^plexus token: --scope: /.test(error.stderr ?? '') &&
      !/scopes/.test(error.stderr ?? ''),
  );
});
