import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Stores, logs and tokens hold private data (memories in plain text, mail metadata, keys): every such file is
 * owner-only (0600) and so is every folder holding them (0700). A file or folder made by an older version, or
 * by hand, that others may read is tightened when it is opened, with a log line saying so.
 */
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_DIR_MODE = 0o700;

/** Where tightening is reported: a Logger, or anything with its `warn(fields, message)`. */
export interface ModeLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Files SQLite keeps beside a database while it is open; they hold the same data. */
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

/** Creates `dir` (and missing parents) owner-only, or tightens an existing one. */
export function privateDir(dir: string, log?: ModeLog): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE, log);
}

/** Creates `file` (empty) owner-only when it is missing, or tightens an existing one. */
export function privateFile(file: string, log?: ModeLog): void {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    tighten(file, PRIVATE_FILE_MODE, log);
  }
}

/**
 * A SQLite database file before it is opened: its folder is created owner-only when missing (an existing
 * folder is the caller's: a data dir is tightened by whoever owns it), the file is created or tightened, and
 * so are side files left by an earlier run. SQLite gives side files it creates the database file's mode.
 */
export function privateSqliteFile(file: string, log?: ModeLog): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  privateFile(file, log);
  for (const suffix of SQLITE_SIDE_FILES) {
    if (existsSync(file + suffix)) tighten(file + suffix, PRIVATE_FILE_MODE, log);
  }
}

/** Removes group and other permissions; a path that cannot be changed (not ours) is logged and left. */
function tighten(path: string, mode: number, log: ModeLog | undefined): void {
  const was = statSync(path).mode & 0o777;
  if ((was & 0o077) === 0) return;
  const octal = (bits: number) => bits.toString(8).padStart(4, '0');
  try {
    chmodSync(path, mode);
  } catch (error) {
    log?.warn(
      { path, mode: octal(was), err: error },
      `${path} is readable by other local users and could not be made owner-only`,
    );
    return;
  }
  log?.warn(
    { path, was: octal(was), now: octal(mode) },
    `tightened ${path} to owner-only (was ${octal(was)})`,
  );
}
