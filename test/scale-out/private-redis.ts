import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { freePort } from '../helpers/ports.ts';
import { missing } from '../helpers/missing.ts';

/** A Redis of the test's own on `port` (no persistence), to kill and restart for outage tests. */
export interface PrivateRedis {
  port: number;
  url: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** The running server; null when redis-server is missing; throws when it exits before it is ready. */
function start(port: number): Promise<ChildProcess | null> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', () => resolve(null));
    child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited (${code}): ${out}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve(child);
    });
  });
}

/** Starts one (killed in t.after); null when redis-server is missing (skipped locally, an error in CI). */
export async function privateRedis(t: TestContext): Promise<PrivateRedis | null> {
  const port = await freePort();
  let child = await start(port);
  if (!child) return missing(t, 'redis-server is not installed');
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGKILL');
    await once(running, 'exit');
  };
  t.after(kill);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      child = await start(port);
      if (!child) throw new Error('redis-server did not restart');
    },
  };
}
