import { dirname } from 'node:path';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import { privateDir, privateFile, type ModeLog } from './store/private-files.ts';

export type { Logger };

/** `pretty`: one readable line per entry (for people); `json`: JSON lines (for machines). */
export type LogFormat = 'pretty' | 'json';

/**
 * The format for stderr: `PLEXUS_LOG_FORMAT` when set, else pretty on a terminal and JSON lines otherwise
 * (a file, a pipe, a log collector). Read here, at the one place a process decides how it logs.
 */
export function stderrLogFormat(
  env: Record<string, string | undefined> = process.env,
  isTerminal = process.stderr.isTTY === true,
): LogFormat {
  const chosen = env['PLEXUS_LOG_FORMAT'];
  if (chosen === 'pretty' || chosen === 'json') return chosen;
  return isTerminal ? 'pretty' : 'json';
}

/**
 * Logs to stderr (stdout belongs to the stdio protocol) — readable lines on a terminal, JSON lines otherwise
 * (`format` overrides) — or JSON lines to a file when `file` is given: an owner-only file in an owner-only
 * folder, since it records what an agent said and did.
 */
export function createLogger(options: {
  name: string;
  level?: LevelWithSilent;
  file?: string;
  format?: LogFormat;
}): Logger {
  const tightened: Parameters<ModeLog['warn']>[] = [];
  if (options.file) {
    // Made before the destination opens the file; what had to be tightened goes into the log itself.
    const note: ModeLog = { warn: (...line) => void tightened.push(line) };
    privateDir(dirname(options.file), note);
    privateFile(options.file, note);
  }
  let destination: DestinationStream;
  if (options.file) destination = pino.destination({ dest: options.file, sync: false });
  else if ((options.format ?? stderrLogFormat()) === 'pretty')
    destination = prettyStream({
      destination: 2,
      sync: true,
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss.l',
    });
  else destination = pino.destination(2);
  const log = pino(
    { name: options.name, level: options.level ?? 'info', base: { name: options.name } },
    destination,
  );
  for (const [fields, message] of tightened) log.warn(fields, message);
  return log;
}

/** A logger that drops everything: for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
