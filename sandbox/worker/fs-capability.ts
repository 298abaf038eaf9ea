import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Grant } from '../permissions.ts';
import { guestPath, rootFor, type FsAccess, type Root } from '../policy/paths.ts';
import { CapabilityError, PermissionDenied, narrowedNote } from './denied.ts';

export const FS_MAX_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 1000;

/** What the operating system's error codes mean, in the words the tool is told. */
const FS_CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'the operating system denies access',
  EPERM: 'the operating system does not permit it',
  ELOOP: 'is a symbolic link',
  ENAMETOOLONG: 'the name is too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EFBIG: 'the file is too large',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
  EIO: 'an input/output error',
  ENXIO: 'not a regular file (a FIFO or device with nothing at the other end)',
};

/**
 * The error a failed file operation gives the tool: our own refusals as they are, an operating-system error
 * as its cause and code for the path the tool named.
 */
export function fsFailure(op: string, target: unknown, error: unknown): Error {
  if (error instanceof CapabilityError || error instanceof PermissionDenied) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const cause = typeof code === 'string' ? `${FS_CAUSES[code] ?? 'failed'} (${code})` : 'failed';
  return new CapabilityError(`${op}: ${String(target)}: ${cause}`);
}

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
    } catch (error) {
      throw fsFailure('fs', target, error);
    }
    if (!rootFor(roots, real, 'read'))
      throw deny(access, target, grant, `resolves to ${real}, outside the granted roots`);
    return real;
  }
  let parent: string;
  try {
    parent = await realpath(path.dirname(target));
  } catch (error) {
    throw fsFailure('fs', path.dirname(target), error);
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
  try {
    // O_NOFOLLOW: the checked real path must not have been swapped for a link since. O_NONBLOCK: opening a
    // FIFO must not wait for a writer (and hold a host thread) before the file type is checked.
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CapabilityError(`fs.readFile: ${String(arg.path)}: not a regular file`);
      if (info.size > FS_MAX_BYTES)
        throw new CapabilityError(`fs: file is larger than ${FS_MAX_BYTES} bytes`);
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fsFailure('fs.readFile', arg.path, error);
  }
}

export async function writeTextFile(grant: Grant, arg: { path?: unknown; content?: unknown }): Promise<null> {
  if (typeof arg.content !== 'string') throw new CapabilityError('fs.writeFile: content must be a string');
  if (Buffer.byteLength(arg.content) > FS_MAX_BYTES) {
    throw new CapabilityError(`fs.writeFile: content is larger than ${FS_MAX_BYTES} bytes`);
  }
  const real = await checkedPath(grant, arg.path, 'write');
  try {
    const handle = await open(
      real,
      constants.O_WRONLY |
        constants.O_CREAT |
        constants.O_TRUNC |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK,
      0o644,
    );
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CapabilityError(`fs.writeFile: ${String(arg.path)}: not a regular file`);
      await handle.writeFile(arg.content, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fsFailure('fs.writeFile', arg.path, error);
  }
  return null;
}

export async function listDirectory(
  grant: Grant,
  arg: { path?: unknown },
): Promise<{ name: string; type: 'file' | 'directory' | 'other' }[]> {
  const real = await checkedPath(grant, arg.path, 'read');
  const entries = await readdir(real, { withFileTypes: true }).catch((error: unknown) => {
    throw fsFailure('fs.readdir', arg.path, error);
  });
  return entries.slice(0, MAX_ENTRIES).map((e) => ({
    name: e.name,
    type: e.isFile() ? 'file' : e.isDirectory() ? 'directory' : 'other',
  }));
}
