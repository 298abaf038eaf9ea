import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { KeyVault, VAULT_KEY_FILE } from '../../lib/identity/key-vault.ts';
import { verifyPassword } from '../../hub/oauth/passwords.ts';
import { oauthDbPath, openOAuthStore } from '../../hub/oauth/store.ts';
import { tempDir } from './helpers.ts';

const PLEXUS = path.resolve(import.meta.dirname, '../../bin/plexus.ts');

/** Runs `plexus user …` with `input` on stdin. */
async function user(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const { PLEXUS_CONFIG: _config, PLEXUS_DATA: _data, ...env } = process.env;
  const child = spawn(process.execPath, ['--no-node-snapshot', PLEXUS, 'user', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: path.dirname(PLEXUS),
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

test(
  'plexus user add|list|passwd|remove manage hub users and their identities',
  // A dozen CLI processes, most hashing a password at 128 MiB of scrypt.
  { timeout: 300_000 },
  async (t) => {
    const data = tempDir(t);
    const added = await user(['add', 'alice', '--password-stdin', '--data', data], 'correct horse battery\n');
    assert.equal(added.code, 0, added.stderr);
    const did = /identity (did:key:z6Mk\w+)/.exec(added.stdout)?.[1];
    assert.ok(did, added.stdout);
    assert.equal(fs.statSync(oauthDbPath(data)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(data, VAULT_KEY_FILE)).mode & 0o777, 0o600);

    const admin = await user(
      ['add', 'ops', '--scopes', 'read,write,admin', '--password-stdin', '--data', data],
      'ops password 1\n',
    );
    assert.equal(admin.code, 0, admin.stderr);

    const listed = await user(['list', '--json', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (
        JSON.parse(listed.stdout) as { name: string; did: string; scopes: string[]; registered: boolean }[]
      ).map((u) => [u.name, u.scopes, u.registered]),
      [
        ['alice', ['read', 'write'], false],
        ['ops', ['read', 'write', 'admin'], false],
      ],
    );

    // Bad input names the field; a second alice or an unknown user is refused.
    const badName = await user(
      ['add', 'Alice Smith', '--password-stdin', '--data', data],
      'long enough pw\n',
    );
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /name: must be 1-64 lower-case/);
    const short = await user(['add', 'carol', '--password-stdin', '--data', data], 'short\n');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--password-stdin: must be 8 to 1024 characters/);
    const badScope = await user(
      ['add', 'dave', '--scopes', 'root', '--password-stdin', '--data', data],
      'long enough pw\n',
    );
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /scopes: each must be one of read, write, admin/);
    const twice = await user(['add', 'alice', '--password-stdin', '--data', data], 'another password\n');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /a user named 'alice' exists already/);
    const noTerminal = await user(['add', 'erin', '--data', data]);
    assert.equal(noTerminal.code, 2);
    assert.match(noTerminal.stderr, /use --password-stdin/);

    const changed = await user(['passwd', 'alice', '--password-stdin', '--data', data], 'a new password\n');
    assert.equal(changed.code, 0, changed.stderr);
    const store = await openOAuthStore({ dataDir: data });
    const alice = await store.getUser('alice');
    await store.close();
    assert.ok(alice);
    assert.equal(await verifyPassword('a new password', alice.passwordHash), true);
    // The DID's keys open with the data dir's vault and belong to that DID.
    assert.equal(KeyVault.open(data).open(alice.did, alice.sealedKeys).did, did);

    const removed = await user(['remove', 'alice', '--data', data]);
    assert.equal(removed.code, 0, removed.stderr);
    const gone = await user(['remove', 'alice', '--data', data]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no user named 'alice'/);
    const after = await user(['list', '--data', data]);
    assert.match(after.stdout, /^ops\s+read,write,admin\s+did:key:/);
  },
);
