import { McpServer } from '@modelcontextprotocol/server';
import type { LoadedIdentity } from '../../lib/identity/identity-file.ts';
import type { Logger } from '../../lib/log.ts';
import { serveHttp, type HttpServing } from '../../lib/mcp/serve-http.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { peerTokenVerifier } from './peer-auth.ts';
import { PeerGate, type PeerLimits } from './peer-gate.ts';
import { registerAsk } from './tools/ask.ts';
import { registerDeliverMessage } from './tools/deliver-message.ts';

/** What the agent runtime does with direct deliveries; refusals are thrown as PlexusErrors. */
export interface PeerHandlers {
  deliver(
    peer: string,
    envelope: Record<string, unknown>,
  ): Promise<{ id: string; status: 'stored' | 'duplicate' }>;
  ask(peer: string, envelope: Record<string, unknown>, signal: AbortSignal): Promise<Envelope>;
}

export interface PeerEndpointOptions {
  identity: LoadedIdentity;
  handlers: PeerHandlers;
  host: string;
  port: number;
  /** The URL peers reach this endpoint at (behind NAT or a proxy); default: the listening address. */
  publicUrl?: string | undefined;
  /** Refuses a peer DID (e.g. revoked) after its signature checked out. */
  checkPeer?: (did: string) => Promise<void>;
  /** The key a peer signs with now (`fresh`: ask again); default: its did:key's own. */
  keyFor?: (did: string, fresh: boolean) => Promise<Uint8Array>;
  limits: PeerLimits;
  log: Logger;
}

/** The agent's own MCP endpoint (deliver_message, ask), served over streamable HTTP. */
export function buildPeerServer(handlers: PeerHandlers, log: Logger): McpServer {
  const server = new McpServer({ name: 'plexus-agent', version: '0.1.0' });
  const host = { log };
  registerDeliverMessage(server, host, handlers);
  registerAsk(server, host, handlers);
  return server;
}

export async function servePeerEndpoint(options: PeerEndpointOptions): Promise<HttpServing> {
  // Peers sign the URL they reach us at as their assertions' audience; it is known once we listen.
  let audience = options.publicUrl ?? '';
  const verify = peerTokenVerifier({
    get audience() {
      return audience;
    },
    ...(options.checkPeer ? { checkPeer: options.checkPeer } : {}),
    ...(options.keyFor ? { keyFor: options.keyFor } : {}),
  });
  const publicHost = options.publicUrl ? new URL(options.publicUrl).hostname : null;
  // One gate for every session: limits hold per peer, not per connection.
  const handlers = new PeerGate(options.limits).guard(options.handlers);
  const serving = await serveHttp(
    { createServer: () => buildPeerServer(handlers, options.log), close: () => Promise.resolve() },
    {
      host: options.host,
      port: options.port,
      verifyToken: verify,
      ...(publicHost ? { allowedHosts: [publicHost] } : {}),
      bodyBytes: 256 * 1024,
      maxSessions: 200,
      idleSeconds: 300,
      log: options.log,
    },
  );
  audience ||= serving.url;
  return { ...serving, url: audience };
}
