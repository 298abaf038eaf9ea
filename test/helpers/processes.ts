import { execFileSync } from 'node:child_process';

/**
 * `ps` with these arguments: the PIDs of live processes (a zombie has exited and is left out); none when ps
 * finds nothing (it then exits 1).
 */
function ps(args: string[]): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,stat=', ...args], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, stat]) => Number(pid) > 0 && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** PIDs of the live direct children of `pid`, from the process table. */
export function childrenOf(pid: number): number[] {
  return ps(['--ppid', String(pid)]);
}

/** Those of `pids` still running, from the process table. */
export function stillRunning(pids: number[]): number[] {
  return pids.length ? ps(['-p', pids.join(',')]) : [];
}
