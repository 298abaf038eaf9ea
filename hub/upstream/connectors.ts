import { InMemoryTransport, type AuthInfo, type Transport } from '@modelcontextprotocol/server';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { tracingFetch } from '../../lib/telemetry/mcp-spans.ts';
import type { ChildProcess } from 'node:child_process';
import {
  StdioClientTransport,
  getDefaultEnvironment,
  type StdioServerParameters,
} from '@modelcontextprotocol/client/stdio';
import type { Component } from '../../lib/mcp/component.ts';
import { DirectCalls } from '../../lib/mcp/direct-call.ts';
import { serveConnection } from '../../lib/mcp/serve-stdio.ts';
import type { Logger } from '../../lib/log.ts';
import type { ChildProcesses } from './children.ts';

/** How the pool opens a fresh session to one upstream. */
export interface Connector {
  readonly kind: 'in-process' | 'http' | 'stdio';
  /** Where it points, for logs and errors (never secrets). */
  readonly target: string;
  /** Whether the upstream accepts several concurrent sessions (stdio is one process = one session). */
  readonly multiSession: boolean;
  /** Where a remote upstream's requests go and the headers configured for it (HTTP only: the byte relay). */
  readonly http?: { url: URL; headers: Record<string, string> };
  /**
   * A server in this process: its tools called in place, without the connection (in-process only; null until
   * a connection has been opened in 2026-07-28).
   */
  direct?(): DirectCalls | null;
  open(): Promise<Transport>;
}

/**
 * A component running in this process, reached over a linked in-memory pair and served there as over stdio:
 * in whichever era the hub's client opens with, every request carrying `auth`.
 */
export function inProcessConnector(name: string, component: Component, auth: AuthInfo): Connector {
  const serverInfo = { name: `plexus-${name}`, version: '0.1.0' };
  let direct: DirectCalls | null = null;
  return {
    kind: 'in-process',
    target: `in-process:${name}`,
    multiSession: true,
    direct: () => direct,
    open() {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      // Closing the client side closes the server side, which ends the connection.
      serveConnection(component, serverSide, serverInfo, auth, (server) => {
        direct = new DirectCalls(server, auth);
      });
      return Promise.resolve(clientSide);
    },
  };
}

/** A remote MCP server over streamable HTTP. */
export function httpConnector(url: string, headers: Record<string, string>): Connector {
  const parsed = new URL(url);
  return {
    kind: 'http',
    target: `${parsed.origin}${parsed.pathname}`,
    multiSession: true,
    http: { url: parsed, headers },
    open() {
      // Each request carries the active trace context as `traceparent`/`tracestate` headers.
      return Promise.resolve(
        new StreamableHTTPClientTransport(parsed, { requestInit: { headers }, fetch: tracingFetch() }),
      );
    },
  };
}

export interface StdioSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
}

/**
 * The SDK's stdio transport, as a subclass: the SDK then asks for the 2026-07-28 revision on this very child
 * instead of on a disposable sibling process it spawns and reaps itself, so every process of the hub's is one
 * the hub supervises. The child is followed from its own process events (the SDK reassigns the transport's
 * callbacks while it negotiates): counted from spawn until it is gone, its stderr logged line by line.
 */
class SupervisedStdioTransport extends StdioClientTransport {
  readonly #watch: (child: ChildProcess) => void;

  constructor(params: StdioServerParameters, watch: (child: ChildProcess) => void) {
    super(params);
    this.#watch = watch;
  }

  override async start(): Promise<void> {
    await super.start();
    // The SDK keeps the spawned child in a field of its own; the pid alone cannot tell when it is gone.
    const child = (this as unknown as { _process?: ChildProcess })._process;
    if (child) this.#watch(child);
  }
}

/**
 * A child process speaking MCP on stdio. Its stderr goes to the hub log line by line, tagged with the
 * server's name; the pool restarts it with backoff when it exits.
 */
export function stdioConnector(
  name: string,
  spec: StdioSpec,
  log: Logger,
  children: ChildProcesses,
): Connector {
  return {
    kind: 'stdio',
    target: `stdio:${spec.command}`,
    multiSession: false,
    open() {
      const transport = new SupervisedStdioTransport(
        {
          command: spec.command,
          args: spec.args,
          env: { ...getDefaultEnvironment(), ...spec.env },
          ...(spec.cwd ? { cwd: spec.cwd } : {}),
          stderr: 'pipe',
        },
        (child) => {
          const pid = child.pid;
          if (pid === undefined) return;
          children.add(pid);
          log.info({ upstream: name, pid }, 'stdio child started');
          child.once('close', () => {
            children.delete(pid);
            log.info({ upstream: name, pid }, 'stdio child exited');
          });
          let buffered = '';
          child.stderr?.on('data', (chunk: Buffer) => {
            buffered += chunk.toString('utf8');
            let newline = buffered.indexOf('\n');
            while (newline !== -1) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (line) log.info({ upstream: name, stderr: line.slice(0, 2000) }, 'upstream stderr');
              newline = buffered.indexOf('\n');
            }
          });
        },
      );
      return Promise.resolve(transport);
    },
  };
}
