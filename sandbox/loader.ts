import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalize } from '../lib/crypto/jcs.ts';
import { ed25519PublicKey } from '../lib/crypto/ed25519.ts';
import { didKeyFragment } from '../lib/crypto/multikey.ts';
import { signObject, verifyObject } from '../lib/crypto/signed-object.ts';
import { ed25519FromMultibase, ed25519Multibase } from '../lib/identity/identity-log.ts';
import { keyReachedBy } from '../lib/identity/key-chain.ts';
import { PlexusError } from '../lib/errors.ts';
import { formatZodError } from '../schemas/common.ts';
import {
  MANIFEST_FILE,
  SandboxToolManifest,
  type SandboxPolicy,
  type UnsignedSandboxToolManifest,
} from '../schemas/sandbox/tool-package.ts';
import type { RotationStatement } from '../schemas/identity/statements.ts';
import { grantPermissions, type Grant } from './permissions.ts';
import { isWithinRoot } from './policy/paths.ts';
import type { ToolCode } from './worker/protocol.ts';

export const MAX_MANIFEST_BYTES = 256 * 1024;
export const MAX_ENTRY_BYTES = 1024 * 1024;

export interface LoadedTool {
  dir: string;
  manifest: SandboxToolManifest;
  grant: Grant;
  /** What a worker needs to run it. */
  code: ToolCode;
}

export interface LoadOptions {
  policy: SandboxPolicy;
  /** Folder that relative fs permissions resolve against when the policy names none. */
  workspace: string;
  /** The author's trust score (0..1), asked only when the policy sets minTrust. */
  trustOf?: (did: string) => Promise<number | undefined>;
}

function refused(code: string, message: string, hint?: string): PlexusError {
  return new PlexusError('forbidden', code, message, hint ? { hint } : {});
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readBounded(file: string, max: number, what: string): Promise<Buffer> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw refused('package_invalid', `${what} not found: ${file}`);
  if (info.size > max) throw refused('package_invalid', `${what} is larger than ${max} bytes: ${file}`);
  return readFile(file);
}

/** The package's manifest JSON, unchecked (for signing) or null when the folder has none. */
export async function readManifestJson(dir: string): Promise<Record<string, unknown>> {
  const bytes = await readBounded(path.join(dir, MANIFEST_FILE), MAX_MANIFEST_BYTES, MANIFEST_FILE);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw refused('manifest_invalid', `${MANIFEST_FILE} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refused('manifest_invalid', `${MANIFEST_FILE} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The entry file's text, after checking it stays inside the package (no `..`, no symlink out). */
async function readEntry(dir: string, entry: string): Promise<string> {
  const realDir = await realpath(dir);
  const file = path.resolve(realDir, entry);
  const realFile = await realpath(file).catch(() => {
    throw refused('package_invalid', `entry file not found: ${entry}`);
  });
  if (!isWithinRoot(realDir, realFile))
    throw refused('package_invalid', `entry ${entry} resolves outside the package`);
  return (await readBounded(realFile, MAX_ENTRY_BYTES, 'entry file')).toString('utf8');
}

/**
 * The key that signed a manifest as its author's: the did:key's own, or `signingKey` when `keyChain` leads to
 * it (null otherwise). Offline, this is all a package can show; installing from the registry also checks the
 * key against the author's identity log (agent-host/tool-packages.ts).
 */
export function signingKeyOf(manifest: SandboxToolManifest): string | null {
  if (manifest.signingKey === undefined && manifest.keyChain === undefined)
    return didKeyFragment(manifest.author);
  if (manifest.signingKey === undefined || manifest.keyChain === undefined) return null;
  return keyReachedBy(manifest.author, manifest.keyChain) === manifest.signingKey
    ? manifest.signingKey
    : null;
}

/**
 * Loads one tool package: checks the manifest against the schema, the author's signature over it, and the
 * entry file against the signed hash; then grants the intersection of what it asks and what policy allows.
 * Throws a `forbidden` PlexusError (code manifest_unsigned, manifest_invalid, signature_invalid,
 * entry_modified, package_invalid, tool_denied, author_untrusted, permissions_refused) otherwise.
 */
export async function loadToolPackage(dir: string, options: LoadOptions): Promise<LoadedTool> {
  const raw = await readManifestJson(dir);
  if (raw['signature'] === undefined) {
    throw refused(
      'manifest_unsigned',
      `${MANIFEST_FILE} in ${dir} is not signed`,
      'sign it: plexus tool sign <dir> --identity <identity.json>',
    );
  }
  const parsed = SandboxToolManifest.safeParse(raw);
  if (!parsed.success) {
    throw refused('manifest_invalid', `${MANIFEST_FILE} in ${dir}: ${formatZodError(parsed.error)}`);
  }
  const manifest = parsed.data;
  const signer = signingKeyOf(manifest);
  if (signer === null)
    throw refused(
      'signature_invalid',
      `${MANIFEST_FILE} in ${dir}: keyChain does not lead from ${manifest.author} to signingKey`,
      'sign it again: the chain is the author’s rotations as its identity log holds them',
    );
  if (!verifyObject(raw, ed25519FromMultibase(signer))) {
    throw refused(
      'signature_invalid',
      `${MANIFEST_FILE} in ${dir} does not carry a valid signature by ${manifest.author}`,
    );
  }
  const source = await readEntry(dir, manifest.entry);
  if (sha256Hex(source) !== manifest.entrySha256) {
    throw refused(
      'entry_modified',
      `${manifest.entry} in ${dir} does not match the signed entrySha256`,
      're-sign the package if the change is yours',
    );
  }
  const trust = options.policy.minTrust !== undefined ? await options.trustOf?.(manifest.author) : undefined;
  const grant = grantPermissions(manifest, options.policy, {
    workspace: options.policy.workspace ?? options.workspace,
    trust,
  });
  const key = `${manifest.author}/${manifest.name}@${manifest.version}#${sha256Hex(manifest.entrySha256 + canonicalize(grant)).slice(0, 16)}`;
  return {
    dir,
    manifest,
    grant,
    code: { key, name: manifest.name, scope: `${manifest.author}/${manifest.name}`, source, grant },
  };
}

export interface LoadFailure {
  dir: string;
  code: string;
  message: string;
}

/** Every package folder directly under `toolsDir`; failures are reported, never fatal. */
export async function loadToolsDir(
  toolsDir: string,
  options: LoadOptions,
): Promise<{ tools: Map<string, LoadedTool>; failures: LoadFailure[] }> {
  const tools = new Map<string, LoadedTool>();
  const failures: LoadFailure[] = [];
  const entries = await readdir(toolsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(toolsDir, entry.name);
    try {
      const tool = await loadToolPackage(dir, options);
      if (tools.has(tool.manifest.name)) {
        failures.push({
          dir,
          code: 'duplicate_name',
          message: `another package already provides '${tool.manifest.name}'`,
        });
        continue;
      }
      tools.set(tool.manifest.name, tool);
    } catch (error) {
      if (error instanceof PlexusError) failures.push({ dir, code: error.code, message: error.message });
      else failures.push({ dir, code: 'package_invalid', message: (error as Error).message });
    }
  }
  return { tools, failures };
}

/** Who signs a package: the author's DID and current key, and (after a rotation) its rotations to that key. */
export interface PackageSigner {
  did: string;
  secretKey: Uint8Array;
  /** The author's rotation statements from its identity log, oldest first: needed once it has rotated. */
  keyChain?: readonly RotationStatement[] | undefined;
}

/**
 * A package's manifest signed by `keys`, with the entry's text, leaving the folder as it is: sets the author,
 * the entry's hash, the signing key and its chain when it is not the did:key's own, and the signature over
 * the JCS form of the manifest.
 */
export async function signedToolPackage(
  dir: string,
  keys: PackageSigner,
): Promise<{ manifest: SandboxToolManifest; source: string }> {
  const raw = await readManifestJson(dir);
  const entry = raw['entry'];
  if (typeof entry !== 'string')
    throw refused('manifest_invalid', `${MANIFEST_FILE}: entry must be a string`);
  const source = await readEntry(dir, entry);
  const { signature: _old, signingKey: _key, keyChain: _chain, ...rest } = raw;
  const signingKey = ed25519Multibase(ed25519PublicKey(keys.secretKey));
  const rotated = signingKey !== didKeyFragment(keys.did);
  if (rotated && keyReachedBy(keys.did, keys.keyChain ?? []) !== signingKey)
    throw refused(
      'key_chain_missing',
      `${keys.did} signs with a rotated key, and the rotations that lead to it were not given`,
      'publish it through the hub (plexus tools publish), which reads them from the identity log',
    );
  const unsigned = {
    ...rest,
    author: keys.did,
    entrySha256: sha256Hex(source),
    ...(rotated ? { signingKey, keyChain: keys.keyChain } : {}),
  };
  const check = SandboxToolManifest.omit({ signature: true }).safeParse(unsigned);
  if (!check.success) throw refused('manifest_invalid', `${MANIFEST_FILE}: ${formatZodError(check.error)}`);
  const manifest = signObject<SandboxToolManifest>(unsigned as UnsignedSandboxToolManifest, keys.secretKey);
  return { manifest, source };
}

/** Signs a package in place (its manifest rewritten signed); returns the signed manifest. */
export async function signToolPackage(dir: string, keys: PackageSigner): Promise<SandboxToolManifest> {
  const { manifest } = await signedToolPackage(dir, keys);
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
