import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Grant } from '../permissions.ts';
import { guestPath, rootFor, type FsAccess, type Root } from '../policy/paths.ts';
import { CapabilityError, PermissionDenied, narrowedNote } from './denied.ts';

export const FS_MAX_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 1000;

async function realRoots(roots: readonly Root[]): Promise<Root[]> {
  const out: Root[] = [];
  for (const root of roots) {
    try {
      out.push({ path: await realpath(root.path), access: root.access });
    } catch {
      // A granted root that does not exist grants nothing.
    }
  }
  return out;
}

function deny(access: FsAccess, target: string, grant: Grant, why: string): PermissionDenied {
  const roots = grant.fs.map((r) => `${r.path} (${r.access})`).join(', ') || 'none';
  return new PermissionDenied(
    `fs ${access}`,
    `${target} ${why}; granted roots: ${roots}${narrowedNote(grant.narrowed, 'fs')}`,
  );
}

/**
 * Checks `value` against the granted roots both lexically and after resolving symlinks, and returns the real
 * path to use. For writes the file may not exist yet: its parent directory is resolved instead, and an
 * existing final component must not be a symlink.
 */
export async function checkedPath(grant: Grant, value: unknown, access: FsAccess): Promise<string> {
  let target: string;
  try {
    target = guestPath(grant.fs, value);
  } catch (error) {
    throw new CapabilityError(`fs: ${(error as Error).message}`);
  }
  if (!rootFor(grant.fs, target, access)) throw deny(access, target, grant, 'is outside the granted roots');
  const roots = await realRoots(grant.fs);
  if (access === 'read') {
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      throw new CapabilityError(`fs: no such file or directory: ${target}`);
    }
    if (!rootFor(roots, real, 'read'))
      throw deny(access, target, grant, `resolves to ${real}, outside the granted roots`);
    return real;
  }
  let parent: string;
  try {
    parent = await realpath(path.dirname(target));
  } catch {
    throw new CapabilityError(`fs: no such directory: ${path.dirname(target)}`);
  }
  const real = path.join(parent, path.basename(target));
  if (!rootFor(roots, real, 'write'))
    throw deny(access, target, grant, `resolves to ${real}, outside the granted roots`);
  const existing = await lstat(real).catch(() => null);
  if (existing?.isSymbolicLink()) throw deny(access, target, grant, 'is a symbolic link');
  return real;
}

export async function readTextFile(grant: Grant, arg: { path?: unknown }): Promise<string> {
  const real = await checkedPath(grant, arg.path, 'read');
  // O_NOFOLLOW: the checked real path must not have been swapped for a link since.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CapabilityError(`fs: not a file: ${String(arg.path)}`);
    if (info.size > FS_MAX_BYTES) throw new CapabilityError(`fs: file is larger than ${FS_MAX_BYTES} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

export async function writeTextFile(grant: Grant, arg: { path?: unknown; content?: unknown }): Promise<null> {
  if (typeof arg.content !== 'string') throw new CapabilityError('fs.writeFile: content must be a string');
  if (Buffer.byteLength(arg.content) > FS_MAX_BYTES) {
    throw new CapabilityError(`fs.writeFile: content is larger than ${FS_MAX_BYTES} bytes`);
  }
  const real = await checkedPath(grant, arg.path, 'write');
  const handle = await open(
    real,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    await handle.writeFile(arg.content, 'utf8');
  } finally {
    await handle.close();
  }
  return null;
}

export async function listDirectory(
  grant: Grant,
  arg: { path?: unknown },
): Promise<{ name: string; type: 'file' | 'directory' | 'other' }[]> {
  const real = await checkedPath(grant, arg.path, 'read');
  const entries = await readdir(real, { withFileTypes: true }).catch(() => {
    throw new CapabilityError(`fs: not a readable directory: ${String(arg.path)}`);
  });
  return entries.slice(0, MAX_ENTRIES).map((e) => ({
    name: e.name,
    type: e.isFile() ? 'file' : e.isDirectory() ? 'directory' : 'other',
  }));
}
