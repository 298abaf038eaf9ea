import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON lines to stderr (stdout belongs to the stdio protocol), or to a file when `file` is given. */
export function createLogger(options: { name: string; level?: LevelWithSilent; file?: string }): Logger {
  const destination = options.file
    ? pino.destination({ dest: options.file, mkdir: true, sync: false })
    : pino.destination(2);
  return pino(
    { name: options.name, level: options.level ?? 'info', base: { name: options.name } },
    destination,
  );
}

/** A logger that drops everything: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
