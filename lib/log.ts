import { dirname } from 'node:path';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { privateDir, privateFile, type ModeLog } from './store/private-files.ts';

export type { Logger };

/**
 * JSON lines to stderr (stdout belongs to the stdio protocol), or to a file when `file` is given: an
 * owner-only file in an owner-only folder, since it records what an agent said and did.
 */
export function createLogger(options: { name: string; level?: LevelWithSilent; file?: string }): Logger {
  const tightened: Parameters<ModeLog['warn']>[] = [];
  if (options.file) {
    // Made before the destination opens the file; what had to be tightened goes into the log itself.
    const note: ModeLog = { warn: (...line) => void tightened.push(line) };
    privateDir(dirname(options.file), note);
    privateFile(options.file, note);
  }
  const log = pino(
    { name: options.name, level: options.level ?? 'info', base: { name: options.name } },
    options.file ? pino.destination({ dest: options.file, sync: false }) : pino.destination(2),
  );
  for (const [fields, message] of tightened) log.warn(fields, message);
  return log;
}

/** A logger that drops everything: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
