import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyObjectByDid } from '../crypto/signed-object.ts';
import { PlexusError } from '../errors.ts';
import {
  completeRotation,
  createIdentityFile,
  isRotated,
  loadIdentityFile,
  readPublicIdentity,
  stageRotation,
  stagedKey,
  updateAgentCard,
} from './identity-file.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fails(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof PlexusError && error.code === code);
}

const profile = {
  name: 'Ada',
  role: 'assistant',
  capabilities: ['summarize'],
  endpoints: { hub: 'http://127.0.0.1:7777/mcp' },
};

test('plain identity: created 0600 with a signed card, loaded back, never overwritten', (t) => {
  const path = join(tempDir(t), 'agent', 'identity.json');
  const created = createIdentityFile(path, profile, { now: 1000 });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.ok(verifyObjectByDid(created.card, created.did));
  assert.equal(created.card.version, 1);
  const loaded = loadIdentityFile(path);
  assert.equal(loaded.did, created.did);
  assert.deepEqual(loaded.keys.signing.secretKey, created.keys.signing.secretKey);
  assert.deepEqual(loaded.keys.keyAgreement, created.keys.keyAgreement);
  assert.equal(loaded.encrypted, false);
  fails(() => createIdentityFile(path, profile), 'identity_file_exists');
  assert.equal(loadIdentityFile(path).did, created.did);
});

test('encrypted identity: secrets sealed, passphrase required and checked', (t) => {
  const path = join(tempDir(t), 'identity.json');
  const created = createIdentityFile(path, profile, { passphrase: 'correct horse' });
  const text = readFileSync(path, 'utf8');
  assert.ok(!text.includes(Buffer.from(created.keys.signing.secretKey).toString('base64url')));
  fails(() => loadIdentityFile(path), 'passphrase_required');
  fails(() => loadIdentityFile(path, { passphrase: 'wrong' }), 'passphrase_wrong');
  const loaded = loadIdentityFile(path, { passphrase: 'correct horse' });
  assert.deepEqual(loaded.keys.signing.secretKey, created.keys.signing.secretKey);
  assert.equal(loaded.encrypted, true);
});

test('corrupted files are named as such', (t) => {
  const dir = tempDir(t);
  fails(() => loadIdentityFile(join(dir, 'none.json')), 'identity_file_missing');
  const path = join(dir, 'identity.json');
  writeFileSync(path, '{not json');
  fails(() => loadIdentityFile(path), 'identity_file_corrupted');
  const good = join(dir, 'good.json');
  createIdentityFile(good, profile);
  const file = JSON.parse(readFileSync(good, 'utf8')) as {
    card: { name: string };
    secrets: { signing: string };
  };
  writeFileSync(path, JSON.stringify({ ...file, card: { ...file.card, name: 'Mallory' } }));
  fails(() => loadIdentityFile(path), 'identity_file_corrupted');
  const other = createIdentityFile(join(dir, 'other.json'), profile);
  const swapped = {
    ...file,
    secrets: { ...file.secrets, signing: Buffer.from(other.keys.signing.secretKey).toString('base64url') },
  };
  writeFileSync(path, JSON.stringify(swapped));
  fails(() => loadIdentityFile(path), 'identity_file_corrupted');
});

test('updateAgentCard re-signs the next version and keeps the file private', (t) => {
  const path = join(tempDir(t), 'identity.json');
  const identity = createIdentityFile(path, profile, { passphrase: 'pw' });
  const card = updateAgentCard(path, identity, { capabilities: ['summarize', 'translate'] }, 5000);
  assert.equal(card.version, 2);
  assert.equal(card.issuedAt, 5000);
  assert.ok(verifyObjectByDid(card, identity.did));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(loadIdentityFile(path, { passphrase: 'pw' }).card, card);
});

test('a rotation keeps every key: staged first, then signing, the old key retired; a version 1 file migrates', (t) => {
  const path = join(tempDir(t), 'identity.json');
  const created = createIdentityFile(path, profile, { passphrase: 'pw', now: 1000 });
  // The file as version 1 wrote it: no key list (the did:key's own key is the only one).
  const v1 = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete v1['keys'];
  writeFileSync(path, JSON.stringify({ ...v1, version: 1 }));
  const loaded = loadIdentityFile(path, { passphrase: 'pw' });
  assert.deepEqual(loaded.keyHistory, [{ key: created.did.slice('did:key:'.length), since: 1000 }]);
  assert.equal(isRotated(loaded), false);

  const staged = stageRotation(path, loaded, 'pw');
  const key = stagedKey(staged);
  assert.ok(key && key !== loaded.keyHistory[0]?.key);
  const reread = loadIdentityFile(path, { passphrase: 'pw' });
  assert.equal(stagedKey(reread), key, 'the staged key is in the file before the hub hears of it');
  assert.deepEqual(
    reread.keys.signing.secretKey,
    created.keys.signing.secretKey,
    'still signing with the old',
  );
  assert.equal(stagedKey(stageRotation(path, reread, 'pw')), key, 'staging again keeps the staged key');
  fails(() => stageRotation(path, { ...reread, pendingSigning: null }, undefined), 'passphrase_required');

  const rotated = completeRotation(path, reread, 'pw', 2000);
  const after = loadIdentityFile(path, { passphrase: 'pw' });
  assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { version: number }).version, 2);
  assert.equal(after.did, created.did);
  assert.deepEqual(
    after.keyHistory.map((k) => k.key),
    [loaded.keyHistory[0]?.key, key],
  );
  assert.deepEqual(after.retiredSigning, [created.keys.signing.secretKey]);
  assert.equal(stagedKey(after), null);
  assert.equal(isRotated(after), true);
  assert.equal(after.card.version, created.card.version + 1);
  assert.ok(!verifyObjectByDid(after.card, after.did), 'the card is signed by the new key, not the did:key');
  assert.deepEqual(after.card, rotated.card);
  assert.equal(readPublicIdentity(path).keyHistory.at(-1)?.key, key);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  fails(() => loadIdentityFile(path, { passphrase: 'wrong' }), 'passphrase_wrong');

  // A key history that does not match the secrets is refused, not trusted.
  const file = JSON.parse(readFileSync(path, 'utf8')) as { keys: { key: string; since: number }[] };
  writeFileSync(path, JSON.stringify({ ...file, keys: file.keys.slice(1) }));
  fails(() => loadIdentityFile(path, { passphrase: 'pw' }), 'identity_file_corrupted');
});
