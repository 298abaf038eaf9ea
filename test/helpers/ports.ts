import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The kernel's range for port-0 listeners and outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [32768, 60999];
  }
}

function listens(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the ephemeral range, for a process started (or restarted) on it later: a port the
 * kernel hands out for port 0 could meanwhile go to another test's listener or outgoing connection —
 * even a client's own reconnect to it (a TCP self-connect) — and the restart would never bind.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await listens(port)) return port;
  }
  throw new Error(`no free port between ${floor} and ${low}`);
}
