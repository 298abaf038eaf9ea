import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FetchLike } from '@modelcontextprotocol/client';
import { agentClient, type AgentClient } from '../../lib/clients/agent.ts';
import { callFailure, ToolError } from '../../lib/clients/errors.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { LoadedIdentity } from '../../lib/identity/identity-file.ts';
import type { Logger } from '../../lib/log.ts';
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import {
  pinnedLookup,
  resolveAllowed,
  type AddressCategory,
  type Lookup,
} from '../../lib/net/address-guard.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { peerFetch } from './peer-auth.ts';

export interface PeerClientsOptions {
  identity: LoadedIdentity;
  /** Per call, connection included. */
  timeoutMs: number;
  /** For `ask`, which waits for the peer to think. */
  askTimeoutMs: number;
  /** Non-public address kinds a peer endpoint may resolve to (metadata addresses never). */
  allowAddresses: readonly AddressCategory[];
  log: Logger;
  /** Name resolution for peer endpoints (default: the system's). */
  lookup?: Lookup;
}

/** One open MCP connection to a peer, and the connection pool pinned to the address that was checked. */
interface Connection {
  client: Client;
  peer: AgentClient;
  pool: Agent;
}

/**
 * MCP clients to other agents' own endpoints, one per endpoint, kept open between calls and dropped on any
 * failure but the peer's own refusal (the next call reconnects). They speak MCP 2026-07-28 first (a request
 * then stands alone) and the 2025 handshake with a peer that only speaks that. Each request carries a fresh
 * assertion signed by this agent's DID. Refusals keep the peer's code (`rate_limited`, `sender_mismatch`, …).
 */
export class PeerClients {
  readonly #o: PeerClientsOptions;
  readonly #connections = new Map<string, Promise<Connection>>();

  constructor(options: PeerClientsOptions) {
    this.#o = options;
  }

  async deliver(endpoint: string, envelope: Envelope): Promise<'stored' | 'duplicate'> {
    const timeout = this.#o.timeoutMs;
    const out = await this.#call(endpoint, 'deliver_message', (peer) =>
      peer.deliverMessage({ envelope }, { timeout }),
    );
    return out.status;
  }

  async ask(endpoint: string, envelope: Envelope): Promise<Record<string, unknown>> {
    const timeout = this.#o.askTimeoutMs;
    const out = await this.#call(endpoint, 'ask', (peer) => peer.ask({ envelope }, { timeout }));
    return out.envelope;
  }

  async #call<T>(endpoint: string, tool: string, call: (peer: AgentClient) => Promise<T>): Promise<T> {
    try {
      return await call((await this.#connection(endpoint)).peer);
    } catch (error) {
      if (!(error instanceof ToolError)) this.#drop(endpoint);
      // Connecting failed before any call: the peer refused (its reason kept) or could not be reached.
      if (error instanceof PlexusError) throw error;
      throw callFailure({ server: endpoint, tool }, error);
    }
  }

  #connection(endpoint: string): Promise<Connection> {
    let pending = this.#connections.get(endpoint);
    if (!pending) {
      pending = this.#connect(endpoint);
      this.#connections.set(endpoint, pending);
      pending.catch(() => this.#drop(endpoint));
    }
    return pending;
  }

  async #connect(endpoint: string): Promise<Connection> {
    const url = new URL(endpoint);
    // A card names the endpoint, so its owner chooses where we connect: never to metadata or link-local
    // addresses, and to private ones only as configured. The pool connects to the address checked here only.
    const address = await resolveAllowed(
      url.hostname,
      { allowCategories: this.#o.allowAddresses },
      this.#o.lookup,
    );
    // undici loads on the first direct call: commands that never make one start faster.
    const undici = await import('undici');
    const pool = new undici.Agent({ connect: { lookup: pinnedLookup(address) } });
    // undici's fetch is the global one with a dispatcher option; only the type declarations differ.
    const pinnedFetch: FetchLike = (input, init) =>
      undici.fetch(input, { ...(init as UndiciRequestInit), dispatcher: pool });
    const client = new Client(
      { name: `plexus-agent ${this.#o.identity.card.name}`, version: '0.1.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    const transport = new StreamableHTTPClientTransport(url, {
      fetch: peerFetch(this.#o.identity, endpoint, pinnedFetch),
    });
    try {
      await client.connect(transport, { timeout: this.#o.timeoutMs });
    } catch (error) {
      await pool.destroy();
      throw error;
    }
    this.#o.log.debug({ endpoint, protocol: client.getNegotiatedProtocolVersion() }, 'peer connected');
    return { client, peer: agentClient(client), pool };
  }

  #drop(endpoint: string): void {
    const pending = this.#connections.get(endpoint);
    this.#connections.delete(endpoint);
    void pending?.then(closeConnection).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(all.map(async (pending) => closeConnection(await pending)));
  }
}

async function closeConnection({ client, pool }: Connection): Promise<void> {
  await client.close();
  // The session is over: drop its sockets rather than wait for a peer to end them.
  await pool.destroy();
}
