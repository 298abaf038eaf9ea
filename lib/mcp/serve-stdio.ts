import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Component } from './component.ts';
import { localOperatorAuth } from './serve-http.ts';

/**
 * Serves a component over stdio until stdin closes. The peer is the user's own process (Claude Desktop, an
 * agent host) that started this one, so every request carries the trusted local operator with all scopes.
 * Resolves when the session ends.
 */
export async function serveStdio(
  component: Component,
  streams: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {},
): Promise<void> {
  const transport = new StdioServerTransport(
    (streams.stdin ?? process.stdin) as never,
    (streams.stdout ?? process.stdout) as never,
  );
  // The parent process is trusted; when it is a hub, it names the caller it forwards for.
  const auth = localOperatorAuth({ delegate: true });
  const server = component.createServer();
  // Components build McpServers; fixtures may hand over a low-level Server.
  const protocol: Server = server instanceof McpServer ? server.server : server;
  const closed = new Promise<void>((resolve) => {
    protocol.onclose = () => resolve();
  });
  await server.connect(transport);
  // Stamp after connect: the server has installed its own onmessage by now.
  const deliver: ((message: JSONRPCMessage, extra?: MessageExtraInfo) => void) | undefined =
    transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => deliver?.(message, { authInfo: auth });
  const stdin = streams.stdin ?? process.stdin;
  const end = () => void server.close();
  stdin.once('end', end);
  stdin.once('close', end);
  await closed;
}
