import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { signObject, verifyObjectByDid } from '../lib/crypto/signed-object.ts';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { PlexusError } from '../lib/errors.ts';
import { ed25519Multibase } from '../lib/identity/identity-log.ts';
import type { RotationStatement } from '../schemas/identity/statements.ts';
import { rotationFor } from '../servers/identity/test-support.ts';
import { SandboxPolicy } from '../schemas/sandbox/tool-package.ts';
import { loadToolPackage, loadToolsDir, signedToolPackage, signToolPackage } from './loader.ts';
import { FIXTURES, newAuthor, tempDir } from './test-support.ts';

const options = (workspace: string, policy = {}) => ({ policy: SandboxPolicy.parse(policy), workspace });

function copyEcho(dir: string): string {
  cpSync(path.join(FIXTURES, 'echo'), dir, { recursive: true });
  return dir;
}

function manifestOf(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, 'plexus-tool.json'), 'utf8')) as Record<string, unknown>;
}

function writeManifest(dir: string, value: unknown): void {
  writeFileSync(path.join(dir, 'plexus-tool.json'), JSON.stringify(value));
}

async function refusal(promise: Promise<unknown>): Promise<PlexusError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlexusError, String(error));
    return error;
  }
  assert.fail('expected the package to be refused');
}

test('a signed package loads with its grant and a code key', async (t) => {
  const root = tempDir(t);
  const dir = copyEcho(path.join(root, 'echo'));
  const author = newAuthor();
  const signed = await signToolPackage(dir, author);
  assert.equal(signed.author, author.did);
  assert.match(signed.entrySha256, /^[0-9a-f]{64}$/);
  const tool = await loadToolPackage(dir, options(root));
  assert.equal(tool.manifest.name, 'echo');
  assert.equal(tool.code.scope, `${author.did}/echo`);
  assert.match(tool.code.source, /export default async function echo/);
  assert.equal(tool.grant.memoryMb, 16);
});

test('signing for an upload leaves the folder as it is', async (t) => {
  const dir = copyEcho(path.join(tempDir(t), 'echo'));
  const before = readFileSync(path.join(dir, 'plexus-tool.json'), 'utf8');
  const author = newAuthor();
  const { manifest, source } = await signedToolPackage(dir, author);
  assert.equal(readFileSync(path.join(dir, 'plexus-tool.json'), 'utf8'), before);
  assert.equal(manifest.author, author.did);
  assert.ok(verifyObjectByDid(manifest, author.did), 'the signature verifies');
  assert.equal(source, readFileSync(path.join(dir, 'index.js'), 'utf8'));
});

test('the sample package in examples/ is signed and loads as it is', async (t) => {
  const tool = await loadToolPackage(
    path.resolve(import.meta.dirname, '../examples/greet'),
    options(tempDir(t)),
  );
  assert.equal(tool.manifest.name, 'greet');
});

test('unsigned, mis-signed and tampered packages are refused with distinct codes', async (t) => {
  const root = tempDir(t);
  const author = newAuthor();

  const unsigned = copyEcho(path.join(root, 'unsigned'));
  assert.equal((await refusal(loadToolPackage(unsigned, options(root)))).code, 'manifest_unsigned');

  const edited = copyEcho(path.join(root, 'edited'));
  await signToolPackage(edited, author);
  writeManifest(edited, { ...manifestOf(edited), description: 'now with more permissions' });
  assert.equal((await refusal(loadToolPackage(edited, options(root)))).code, 'signature_invalid');

  const widened = copyEcho(path.join(root, 'widened'));
  await signToolPackage(widened, author);
  const m = manifestOf(widened) as { permissions: { net: string[] } };
  m.permissions.net = ['evil.com'];
  writeManifest(widened, m);
  assert.equal((await refusal(loadToolPackage(widened, options(root)))).code, 'signature_invalid');

  const impostor = copyEcho(path.join(root, 'impostor'));
  await signToolPackage(impostor, author);
  // Signed by one key, claiming another author.
  writeManifest(impostor, { ...manifestOf(impostor), author: newAuthor().did });
  assert.equal((await refusal(loadToolPackage(impostor, options(root)))).code, 'signature_invalid');

  const resigned = copyEcho(path.join(root, 'resigned'));
  await signToolPackage(resigned, author);
  const { signature: _s, ...rest } = manifestOf(resigned);
  writeManifest(resigned, signObject({ ...rest, author: author.did }, newAuthor().secretKey));
  assert.equal((await refusal(loadToolPackage(resigned, options(root)))).code, 'signature_invalid');

  const codeChanged = copyEcho(path.join(root, 'code-changed'));
  await signToolPackage(codeChanged, author);
  appendFileSync(path.join(codeChanged, 'index.js'), '\nglobalThis.x = 1;\n');
  assert.equal((await refusal(loadToolPackage(codeChanged, options(root)))).code, 'entry_modified');
});

test('schema errors name the field; entries may not leave the package', async (t) => {
  const root = tempDir(t);
  const author = newAuthor();
  const bad = copyEcho(path.join(root, 'bad'));
  writeManifest(bad, { ...manifestOf(bad), version: 'one' });
  await assert.rejects(signToolPackage(bad, author), /version: must be a semantic version/);

  const escaping = path.join(root, 'escaping');
  mkdirSync(escaping);
  writeFileSync(path.join(root, 'outside.js'), 'export default () => ({})');
  symlinkSync(path.join(root, 'outside.js'), path.join(escaping, 'index.js'));
  writeManifest(escaping, { ...manifestOf(copyEcho(path.join(root, 'template'))) });
  const error = await refusal(signToolPackage(escaping, author));
  assert.equal(error.code, 'package_invalid');
  assert.match(error.message, /outside the package/);

  const notJson = copyEcho(path.join(root, 'not-json'));
  writeFileSync(path.join(notJson, 'plexus-tool.json'), '{ nope');
  assert.equal((await refusal(loadToolPackage(notJson, options(root)))).code, 'manifest_invalid');
});

test('over-asking packages are narrowed by default and refused when policy says so', async (t) => {
  const root = tempDir(t);
  const dir = copyEcho(path.join(root, 'echo'));
  writeManifest(dir, {
    ...manifestOf(dir),
    permissions: {
      fs: [{ path: 'data', access: 'write' }],
      net: ['api.example.com'],
      memoryMb: 16,
      timeMs: 2000,
      kv: true,
    },
  });
  await signToolPackage(dir, newAuthor());
  const narrowed = await loadToolPackage(
    dir,
    options(root, { defaults: { fs: [{ path: 'data', access: 'read' }] } }),
  );
  assert.deepEqual(narrowed.grant.fs, [{ path: path.join(root, 'data'), access: 'read' }]);
  assert.deepEqual(narrowed.grant.narrowed, [
    `fs write ${path.join(root, 'data')}`,
    'net api.example.com',
    'kv',
  ]);
  const error = await refusal(loadToolPackage(dir, options(root, { overAsk: 'refuse' })));
  assert.equal(error.code, 'permissions_refused');
});

test('loadToolsDir loads good packages and reports every refusal', async (t) => {
  const root = tempDir(t);
  const author = newAuthor();
  await signToolPackage(copyEcho(path.join(root, 'a-echo')), author);
  await signToolPackage(copyEcho(path.join(root, 'b-echo-again')), author);
  copyEcho(path.join(root, 'c-unsigned'));
  mkdirSync(path.join(root, 'd-empty'));
  const { tools, failures } = await loadToolsDir(root, options(root));
  assert.deepEqual([...tools.keys()], ['echo']);
  assert.deepEqual(
    failures.map((f) => [path.basename(f.dir), f.code]),
    [
      ['b-echo-again', 'duplicate_name'],
      ['c-unsigned', 'manifest_unsigned'],
      ['d-empty', 'package_invalid'],
    ],
  );
});

test('a rotated author signs with its current key and the rotations that lead to it; a broken chain is refused', async (t) => {
  const root = tempDir(t);
  const first = generateIdentityKeys();
  const second = generateIdentityKeys();
  const third = generateIdentityKeys();
  const head = { seq: 0, hash: 'A'.repeat(43) };
  const toSecond = rotationFor(first.did, head, first.signing.secretKey, second) as RotationStatement;
  const toThird = rotationFor(
    first.did,
    { seq: 1, hash: 'B'.repeat(43) },
    second.signing.secretKey,
    third,
  ) as RotationStatement;
  const author = { did: first.did, secretKey: third.signing.secretKey };

  const dir = copyEcho(path.join(root, 'rotated'));
  const signed = await signToolPackage(dir, { ...author, keyChain: [toSecond, toThird] });
  assert.equal(signed.signingKey, ed25519Multibase(third.signing.publicKey));
  assert.equal((await loadToolPackage(dir, options(root))).manifest.author, first.did);

  // Without the chain, or with one that skips a rotation: the key is not shown to be the author's.
  const missing = await refusal(signToolPackage(copyEcho(path.join(root, 'missing')), author));
  assert.equal(missing.code, 'key_chain_missing');
  const skipped = copyEcho(path.join(root, 'skipped'));
  writeManifest(skipped, signObject({ ...manifestOf(dir), keyChain: [toThird] }, third.signing.secretKey));
  assert.equal((await refusal(loadToolPackage(skipped, options(root)))).code, 'signature_invalid');
  // A chain leading elsewhere than the key that signed.
  const elsewhere = copyEcho(path.join(root, 'elsewhere'));
  writeManifest(elsewhere, signObject({ ...manifestOf(dir), keyChain: [toSecond] }, third.signing.secretKey));
  assert.equal((await refusal(loadToolPackage(elsewhere, options(root)))).code, 'signature_invalid');
  // A signing key without its chain.
  const bare = copyEcho(path.join(root, 'bare'));
  const { keyChain: _chain, signature: _sig, ...withoutChain } = manifestOf(dir);
  writeManifest(bare, signObject(withoutChain, third.signing.secretKey));
  assert.equal((await refusal(loadToolPackage(bare, options(root)))).code, 'signature_invalid');
});
