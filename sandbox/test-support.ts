// Helpers for the sandbox's tests: signed copies of the fixture tool packages in a temp folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { MANIFEST_FILE } from '../schemas/sandbox/tool-package.ts';
import { signToolPackage } from './loader.ts';

export const FIXTURES = fileURLToPath(new URL('../test/fixtures/hostile-tools/', import.meta.url));

export interface Author {
  did: string;
  secretKey: Uint8Array;
}

export function newAuthor(): Author {
  const keys = generateIdentityKeys();
  return { did: keys.did, secretKey: keys.signing.secretKey };
}

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: { after(fn: () => unknown): void }, prefix = 'plexus-sandbox-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Copies fixture packages into `toolsDir` and signs each as `author`, after replacing the manifest
 * permissions named in `permissions` (for grants only known at test time, such as a server's port).
 */
export async function signedFixtures(
  toolsDir: string,
  names: readonly string[],
  author: Author,
  permissions: Record<string, Record<string, unknown>> = {},
): Promise<void> {
  for (const name of names) {
    const dir = path.join(toolsDir, name);
    cpSync(path.join(FIXTURES, name), dir, { recursive: true });
    const changes = permissions[name];
    if (changes) {
      const file = path.join(dir, MANIFEST_FILE);
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { permissions: Record<string, unknown> };
      manifest.permissions = { ...manifest.permissions, ...changes };
      writeFileSync(file, JSON.stringify(manifest));
    }
    await signToolPackage(dir, author);
  }
}
