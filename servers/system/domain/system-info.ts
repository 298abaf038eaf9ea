import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { DiskUsage, SystemInfo } from '../../../schemas/system/tools.ts';

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** CPU busy share over a short window (the counters since boot say little about now). */
async function cpuUsage(windowMs: number): Promise<number> {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? Math.round((1 - (b.idle - a.idle) / total) * 1000) / 10 : 0;
}

export async function systemInfo(windowMs = 100): Promise<SystemInfo> {
  const total = os.totalmem();
  const free = os.freemem();
  const load = os.loadavg();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    uptime_seconds: os.uptime(),
    load_average: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
    cpus: {
      count: os.cpus().length,
      model: os.cpus()[0]?.model ?? 'unknown',
      usage_percent: await cpuUsage(windowMs),
    },
    memory: {
      total_bytes: total,
      free_bytes: free,
      used_percent: Math.round((1 - free / total) * 1000) / 10,
    },
    process: {
      pid: process.pid,
      node: process.version,
      uptime_seconds: process.uptime(),
      rss_bytes: process.memoryUsage.rss(),
    },
  };
}

export async function diskUsage(paths: readonly string[]): Promise<DiskUsage> {
  const disks = await Promise.all(
    paths.map(async (path) => {
      const s = await statfs(path);
      const total = s.blocks * s.bsize;
      const free = s.bfree * s.bsize;
      return {
        path,
        total_bytes: total,
        free_bytes: free,
        available_bytes: s.bavail * s.bsize,
        used_percent: total > 0 ? Math.round((1 - free / total) * 1000) / 10 : 0,
      };
    }),
  );
  return { disks };
}
