import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentityKeys } from '../crypto/identity-keys.ts';
import { PlexusError } from '../errors.ts';
import { KeyVault, VAULT_KEY_FILE } from './key-vault.ts';
import { LOCAL_USER_FILE, localUser } from './local-user.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-vault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const unreadable = (error: unknown) =>
  error instanceof PlexusError && error.code === 'sealed_keys_unreadable';

test('the vault seals keys for one DID under a 0600 key in the data dir', (t) => {
  const dir = tempDir(t);
  const vault = KeyVault.open(dir);
  assert.equal(statSync(join(dir, VAULT_KEY_FILE)).mode & 0o777, 0o600);
  const keys = generateIdentityKeys();
  const sealed = vault.seal(keys);
  assert.ok(!JSON.stringify(sealed).includes(Buffer.from(keys.signing.secretKey).toString('base64url')));
  // The same data dir opens it again (the key file is kept, not replaced).
  const opened = KeyVault.open(dir).open(keys.did, sealed);
  assert.deepEqual(opened.signing.secretKey, keys.signing.secretKey);
  assert.deepEqual(opened.keyAgreement.publicKey, keys.keyAgreement.publicKey);
  assert.equal(opened.keyAgreementMultibase, keys.keyAgreementMultibase);

  // Moved to another DID, tampered with, or opened with another data dir's key: refused.
  assert.throws(() => vault.open(generateIdentityKeys().did, sealed), unreadable);
  const flipped = Buffer.from(sealed.ciphertext, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(
    () => vault.open(keys.did, { ...sealed, ciphertext: flipped.toString('base64url') }),
    unreadable,
  );
  assert.throws(() => KeyVault.open(tempDir(t)).open(keys.did, sealed), unreadable);

  // Derived keys differ by purpose and from each other vault's.
  assert.notDeepEqual(vault.derive('csrf'), vault.derive('other'));
  assert.deepEqual(vault.derive('csrf'), KeyVault.open(dir).derive('csrf'));
});

test('a corrupted vault key is named, not silently replaced', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, VAULT_KEY_FILE), 'short\n', { mode: 0o600 });
  assert.throws(
    () => KeyVault.open(dir),
    (error: unknown) => error instanceof PlexusError && error.code === 'vault_key_corrupted',
  );
  assert.equal(readFileSync(join(dir, VAULT_KEY_FILE), 'utf8'), 'short\n');
});

test('the local user is created once per data dir (0600) and keeps its DID', (t) => {
  const dir = tempDir(t);
  const first = localUser(dir, 1000);
  assert.match(first.did, /^did:key:z6Mk/);
  assert.equal(statSync(join(dir, LOCAL_USER_FILE)).mode & 0o777, 0o600);
  const again = localUser(dir);
  assert.equal(again.did, first.did);
  assert.deepEqual(again.keys.signing.secretKey, first.keys.signing.secretKey);
  assert.notEqual(localUser(tempDir(t)).did, first.did);

  writeFileSync(join(dir, LOCAL_USER_FILE), '{"format":"plexus-local-user"}');
  assert.throws(
    () => localUser(dir),
    (error: unknown) => error instanceof PlexusError && error.code === 'local_user_corrupted',
  );
});
