// The peer row of the proxy suite: mcp-hub (an MCP aggregator from npm, a devDependency) fronting the same
// upstream, run as its CLI runs it — its own process, its state under a temporary home.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepAliveAgent, sseClient } from './mcp-wire.ts';

export interface PeerHub {
  /** Its MCP endpoint: the HTTP+SSE transport (GET stream, POST /messages), which is what it serves. */
  url: string;
  /** The protocol revision it speaks. */
  version: string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts mcp-hub with `upstreamUrl` mounted as `name`; resolves once `name__<tool>` answers through it. */
export async function startPeerHub(name: string, upstreamUrl: string, tool: string): Promise<PeerHub> {
  const home = mkdtempSync(join(tmpdir(), 'plexus-bench-peer-'));
  const config = join(home, 'mcp-hub.json');
  writeFileSync(config, JSON.stringify({ mcpServers: { [name]: { url: upstreamUrl } } }));
  const port = await freePort();
  const cli = join(import.meta.dirname, '..', 'node_modules', 'mcp-hub', 'dist', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--config', config], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      XDG_STATE_HOME: join(home, 'state'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const close = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited(child), new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}/mcp`;
  const version = '2024-11-05';
  const agent = keepAliveAgent(1);
  const deadline = performance.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mcp-hub exited (${child.exitCode}): ${stderr}`);
      try {
        const client = await sseClient(agent, url, `${name}__${tool}`, version);
        await client.call();
        client.close();
        return { url, version, close };
      } catch (error) {
        if (performance.now() > deadline)
          throw new Error(`mcp-hub did not serve ${name}__${tool}: ${String(error)}; ${stderr}`, {
            cause: error,
          });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } catch (error) {
    await close();
    throw error;
  } finally {
    agent.destroy();
  }
}
