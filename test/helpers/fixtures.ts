import { existsSync, mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fixed start time for tests that drive an injected clock. */
export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

export interface Clock {
  now: () => number;
  advance: (ms: number) => void;
}

export function testClock(start = T0): Clock {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves once `file` exists, watching its folder rather than polling. */
export async function fileAppears(file: string): Promise<void> {
  const watcher = watch(dirname(file));
  try {
    const appeared = new Promise<void>((resolve) => {
      watcher.on('change', () => {
        if (existsSync(file)) resolve();
      });
    });
    if (!existsSync(file)) await appeared;
  } finally {
    watcher.close();
  }
}
