import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Makes the sandbox's kv file private before any worker opens it: its folder 0700, the file 0600 (SQLite
 * creates the -wal and -shm files beside it with the file's mode). `file` must be absolute, so where the
 * store lives never depends on a process's working directory. Returns the paths whose looser modes an
 * earlier version left and that were tightened now.
 */
export function privateKvFile(file: string): string[] {
  if (!path.isAbsolute(file)) throw new Error(`the sandbox kv file must be an absolute path, not ${file}`);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  const tightened: string[] = [];
  const tighten = (target: string, mode: number): void => {
    const info = statSync(target, { throwIfNoEntry: false });
    if (!info || (info.mode & 0o777 & ~mode) === 0) return;
    chmodSync(target, mode);
    tightened.push(target);
  };
  tighten(dir, 0o700);
  for (const target of [file, `${file}-wal`, `${file}-shm`]) tighten(target, 0o600);
  return tightened;
}
