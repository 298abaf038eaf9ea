import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Path policy for the sandbox's fs capability. Pure functions on absolute, normalized paths; the
 * capability applies them to both the lexical path and its realpath so neither `..` nor a symlink escapes.
 */

export type FsAccess = 'read' | 'write';

/** True when `candidate` is `root` or lies below it. Both must be absolute. */
export function isWithinRoot(root: string, candidate: string): boolean {
  if (!path.isAbsolute(root) || !path.isAbsolute(candidate)) return false;
  const relative = path.relative(path.resolve(root), path.resolve(candidate));
  if (relative === '') return true;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** write implies read. */
export function accessCovers(granted: FsAccess, wanted: FsAccess): boolean {
  return granted === 'write' || wanted === 'read';
}

/** A manifest or policy path (absolute, `~/…`, or relative to the workspace) as an absolute path. */
export function resolvePermissionPath(requested: string, base: { workspace: string; home?: string }): string {
  if (requested === '~' || requested.startsWith('~/')) {
    return path.resolve(base.home ?? homedir(), requested.slice(2));
  }
  return path.resolve(base.workspace, requested);
}

export interface Root {
  path: string;
  access: FsAccess;
}

/**
 * The granted root that lets `access` reach `target` (absolute), or null. Used for the lexical check and
 * again for the realpath of whatever exists at the target.
 */
export function rootFor(roots: readonly Root[], target: string, access: FsAccess): Root | null {
  for (const root of roots) {
    if (accessCovers(root.access, access) && isWithinRoot(root.path, target)) return root;
  }
  return null;
}

/**
 * A guest-supplied path as an absolute path: absolute paths as given, relative ones against the first root.
 * Throws on NUL bytes and non-strings; escapes are caught by the callers' root checks.
 */
export function guestPath(roots: readonly Root[], value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw new Error('path must be a non-empty string of at most 4096 characters');
  }
  if (value.includes('\0')) throw new Error('path must not contain NUL');
  const base = roots[0]?.path ?? '/';
  return path.resolve(base, value);
}
