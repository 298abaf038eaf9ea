import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { AuthInfo, McpServer, Server } from '@modelcontextprotocol/server';
import { Client } from '@modelcontextprotocol/client';
import type { ClientOptions } from '@modelcontextprotocol/client';

export function authInfoFor(subject: string, scopes: string[], token = 'in-process'): AuthInfo {
  return { token, clientId: subject, scopes };
}

/**
 * A linked in-memory pair whose client side stamps every message with fixed auth info, the way an HTTP
 * transport stamps what its bearer check found. The hub uses it for in-process upstreams (with the
 * delegate scope); tests use it to call a server as a given identity.
 */
export function authenticatedPair(authInfo: AuthInfo | undefined): [InMemoryTransport, InMemoryTransport] {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  if (authInfo) {
    const send = clientSide.send.bind(clientSide);
    clientSide.send = (message, options) =>
      send(message, { ...options, authInfo: options?.authInfo ?? authInfo });
  }
  return [clientSide, serverSide];
}

/** Connects an SDK Client to `server` in this process, every request carrying `authInfo` (if given). */
export async function connectInProcess(
  server: McpServer | Server,
  options: {
    authInfo?: AuthInfo;
    clientInfo?: { name: string; version: string };
    client?: ClientOptions;
  } = {},
): Promise<Client> {
  const [clientSide, serverSide] = authenticatedPair(options.authInfo);
  await server.connect(serverSide);
  const client = new Client(
    options.clientInfo ?? { name: 'plexus-in-process', version: '0.1.0' },
    options.client,
  );
  await client.connect(clientSide);
  return client;
}
