import { spawn } from 'node:child_process';
import type { AllowedCommand, CommandResult } from '../../../schemas/system/tools.ts';

/**
 * Runs an authorized command without a shell, with a deadline and an output cap. Output past the cap is
 * dropped (and reported as truncated) rather than buffered.
 */
export function runCommand(
  entry: AllowedCommand,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<CommandResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(entry.path, args, {
      cwd: entry.cwd,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: entry.timeout_ms,
      killSignal: 'SIGKILL',
      signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      const room = entry.max_output_bytes - size;
      if (room <= 0) {
        truncated = true;
        return;
      }
      if (chunk.length > room) truncated = true;
      const part = chunk.subarray(0, room);
      into.push(part);
      size += part.length;
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      resolve({
        command: entry.name,
        args: [...args],
        exit_code: code,
        signal: sig,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        truncated,
        duration_ms: Math.round(performance.now() - started),
      });
    });
  });
}
