import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ProcessInfo } from '../../../schemas/system/tools.ts';

const run = promisify(execFile);

// `ps` with explicit columns exists on Linux (procps) and macOS alike; /proc would be Linux-only.
const COLUMNS = 'pid=,ppid=,user=,%cpu=,%mem=,rss=,etime=,args=';

/** Parses `ps -eo pid=,ppid=,user=,%cpu=,%mem=,rss=,etime=,args=` output; the command is the rest of the line. */
export function parsePs(output: string): ProcessInfo[] {
  const rows: ProcessInfo[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, pid, ppid, user, cpu, mem, rss, elapsed, command] = match;
    rows.push({
      pid: Number(pid),
      ppid: Number(ppid),
      user: user ?? '',
      cpu_percent: Number(cpu),
      memory_percent: Number(mem),
      rss_kib: Number(rss),
      elapsed: elapsed ?? '',
      command: (command ?? '').trim(),
    });
  }
  return rows;
}

export async function listProcesses(): Promise<ProcessInfo[]> {
  const { stdout } = await run('ps', ['-eo', COLUMNS], { maxBuffer: 32 * 1024 * 1024 });
  return parsePs(stdout);
}
