import { serveStdio as serveStdioEntry, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { AuthInfo, Implementation, McpServer, Transport } from '@modelcontextprotocol/server';
import { callerOf } from './caller.ts';
import type { Component } from './component.ts';
import { authenticatedServer, onClosed } from './inbound.ts';
import { listenOnStdio } from './listen-channels.ts';
import { Listens } from './listen.ts';
import { localOperatorAuth } from './serve-http.ts';

export interface StdioStreams {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/**
 * Serves a component over stdio until stdin closes, in whichever era the client opens with: a 2025-era
 * `initialize` pins the connection to one server instance as before; a 2026-07-28 client gets the same
 * tools statelessly, with `subscriptions/listen` fed by the component's changes. The peer is the user's own
 * process (Claude Desktop, an agent host, a hub) that started this one, so every request carries a trusted
 * caller with all scopes, who may name the caller it forwards for: `auth` (the local user, see
 * localUserAuth), else the local operator.
 */
export async function serveStdio(
  component: Component,
  streams: StdioStreams = {},
  serverInfo: Implementation = { name: 'plexus', version: '0.1.0' },
  auth: AuthInfo = localOperatorAuth({ delegate: true }),
): Promise<void> {
  const stdin = streams.stdin ?? process.stdin;
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  const connection = serveConnection(
    component,
    new StdioServerTransport(stdin as never, (streams.stdout ?? process.stdout) as never),
    serverInfo,
    auth,
  );
  await ended;
  await connection.close();
}

/**
 * Serves a component on one connection (`transport`: a stdio pair, an in-memory link), in whichever era its
 * client opens with, every request carrying the caller `auth`: a 2025-era `initialize` pins the connection to
 * one server instance; a 2026-07-28 client gets the same tools statelessly, with `subscriptions/listen` fed
 * by the component's changes. The connection ends when the transport closes, or with `close()`. `onModern`
 * is handed each server instance made to serve 2026-07-28 (whose tools may then be called in place).
 */
export function serveConnection(
  component: Component,
  transport: Transport,
  serverInfo: Implementation,
  auth: AuthInfo,
  onModern?: (server: McpServer) => void,
): { close(): Promise<void> } {
  const listens = new Listens(component.changes, serverInfo);
  const wire = onClosed(listenOnStdio(transport, listens, callerOf({ http: { authInfo: auth } })), () =>
    listens.closeAll(),
  );
  const handle = serveStdioEntry(
    ({ era }) => {
      const server = authenticatedServer(component.createServer(), auth);
      if (era === 'modern') onModern?.(server);
      return server;
    },
    { transport: wire },
  );
  return {
    async close() {
      listens.closeAll();
      await handle.close();
    },
  };
}
