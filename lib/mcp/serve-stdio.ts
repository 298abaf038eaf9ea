import { serveStdio as serveStdioEntry, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { AuthInfo, Implementation } from '@modelcontextprotocol/server';
import { callerOf } from './caller.ts';
import type { Component } from './component.ts';
import { authenticatedServer } from './inbound.ts';
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
  const listens = new Listens(component.changes, serverInfo);
  const wire = listenOnStdio(
    new StdioServerTransport(stdin as never, (streams.stdout ?? process.stdout) as never),
    listens,
    callerOf({ http: { authInfo: auth } }),
  );
  const ended = new Promise<void>((resolve) => {
    stdin.once('end', resolve);
    stdin.once('close', resolve);
  });
  const handle = serveStdioEntry(() => authenticatedServer(component.createServer(), auth), {
    transport: wire,
  });
  await ended;
  listens.closeAll();
  await handle.close();
}
