import {
  Client,
  SdkHttpError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import type { CallToolResult, McpSubscription, RequestOptions } from '@modelcontextprotocol/client';
import type { ToolCallParams, ToolCaller } from '../lib/clients/call-tool.ts';
import { statedReason } from '../lib/clients/errors.ts';
import { identityClient, type IdentityClient } from '../lib/clients/identity.ts';
import { llmClient, type LlmClient } from '../lib/clients/llm.ts';
import { memoryClient, type MemoryClient } from '../lib/clients/memory.ts';
import { registryClient, type RegistryClient } from '../lib/clients/registry.ts';
import { routerClient, type RouterClient } from '../lib/clients/router.ts';
import { PlexusError } from '../lib/errors.ts';
import type { LoadedIdentity } from '../lib/identity/identity-file.ts';
import type { Logger } from '../lib/log.ts';
import { BUSY_STATUSES, HubBusyError, HubPacing } from './hub-pacing.ts';
import { requestHubToken, unreachable } from './hub-token.ts';
import { identityRevoked } from './revoked.ts';

/**
 * One authenticated connection to the hub's `<hub>/mcp`: an access token from `<hub>/oauth/token`
 * (private_key_jwt signed by the agent's DID key), refreshed before it expires and sent on every request. It
 * speaks MCP 2026-07-28 (stateless: every request stands alone) and falls back to the 2025 handshake (a
 * session) for a hub that only speaks that. A 429 or 503 answer holds every request back for the
 * `Retry-After` it names and then sends the same request again (`HubPacing`): a busy hub is not a lost one.
 */
export interface HubSessionOptions {
  hubUrl: string;
  /** Whose token every request carries; without one nothing is sent but the MCP requests themselves. */
  identity?: LoadedIdentity;
  /** A bearer token to send as it is (an operator token), when there is no identity. */
  token?: string;
  log: Logger;
  /** Most time one request may take. */
  timeoutMs: number;
  clientName?: string;
  now?: () => number;
  /** Told when the hub refuses this identity as revoked (final, unlike the failures a reconnect may mend). */
  onRevoked?: (error: PlexusError) => void;
}

/** The hub's core servers as typed clients: results parsed against schemas/, tool errors keeping their code. */
export interface HubServers {
  identity: IdentityClient;
  registry: RegistryClient;
  router: RouterClient;
  llm: LlmClient;
  memory: MemoryClient;
}

/** How the hub tells this connection about updates of watched resources. */
export interface Watch {
  via: 'listen' | 'subscribe';
  /**
   * Settles when the hub ended the listen stream (it went away, or closed the stream itself): the updates
   * stop, as they do when a 2025-era session is lost. Never settles for `subscribe`.
   */
  ended: Promise<'remote' | 'graceful'>;
}

/** Failures that never got the hub's answer, or whose answer a new connection may change. */
const TRANSIENT_CODES = new Set(['hub_unreachable', 'hub_busy', 'hub_unauthorized', 'server_unreachable']);

/**
 * Whether a failed hub call never got the hub's answer (unreachable, busy, the connection broke, the token no
 * longer accepted), so the same call may succeed later; a tool's own refusal is final.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof PlexusError) return TRANSIENT_CODES.has(error.code);
  return true;
}

/**
 * Whether a failed call means the connection is gone: errors from the tool layer keep it, and so does a busy
 * hub (429, 503: the session waits as long as it asks); anything else (transport, session gone, token refused)
 * drops it.
 */
export function connectionLost(error: unknown): boolean {
  return isTransient(error) && !(error instanceof HubBusyError);
}

const never = new Promise<never>(() => {});

export class HubSession implements ToolCaller {
  readonly client: Client;
  readonly servers: HubServers;
  readonly #o: HubSessionOptions;
  readonly #pacing: HubPacing;
  #token: string | null = null;
  #refreshTimer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #subscriptions = new Set<McpSubscription>();

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.#pacing = new HubPacing(options.timeoutMs, options.log);
    this.client = new Client(
      { name: options.clientName ?? 'plexus-agent', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: 'auto' } },
    );
    this.servers = {
      identity: identityClient(this, { prefix: 'identity__' }),
      registry: registryClient(this, { prefix: 'registry__' }),
      router: routerClient(this, { prefix: 'router__' }),
      llm: llmClient(this, { prefix: 'llm__' }),
      memory: memoryClient(this, { prefix: 'memory__' }),
    };
  }

  /** The protocol revision the connection speaks (e.g. `2026-07-28`), once open. */
  get protocolVersion(): string | undefined {
    return this.client.getNegotiatedProtocolVersion();
  }

  /** Gets a token and connects. Throws hub_unreachable, hub_busy, identity_revoked or hub_refused. */
  async open(): Promise<void> {
    if (this.#o.identity) await this.#refresh(this.#o.identity);
    else if (this.#o.token) this.#token = this.#o.token;
    const transport = new StreamableHTTPClientTransport(new URL(`${this.#o.hubUrl}/mcp`), {
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        if (this.#token) headers.set('Authorization', `Bearer ${this.#token}`);
        return this.#pacing.fetch(url, { ...init, headers });
      },
      // The runtime reconnects the whole connection itself (new token, fresh session) when the hub goes away.
      reconnectionOptions: {
        maxReconnectionDelay: 1000,
        initialReconnectionDelay: 200,
        reconnectionDelayGrowFactor: 1.5,
        maxRetries: 0,
      },
    });
    try {
      await this.client.connect(transport, { timeout: this.#o.timeoutMs });
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /** Errors in Plexus terms: the hub unreachable, busy for longer than a request may wait, or refusing the token. */
  #translate(error: unknown): unknown {
    if (error instanceof TypeError) return unreachable(this.#o.hubUrl, error);
    // The SDK wraps a failed fetch (its version probe, say): it is still a hub that cannot be reached.
    const cause = (error as { cause?: unknown } | null)?.cause;
    if (cause instanceof TypeError) return unreachable(this.#o.hubUrl, cause);
    if (error instanceof SdkHttpError && BUSY_STATUSES.has(error.status))
      return new HubBusyError(error.status, this.#pacing.pausedMs);
    // This DID revoked since its token was issued: the hub says by whom and why, and nothing will change that.
    const refusal = error instanceof SdkHttpError && error.status === 401 ? statedReason(error) : null;
    const did = this.#o.identity?.did;
    if (refusal && did && refusal.includes(`${did} was revoked`)) {
      const revoked = identityRevoked(refusal.replace(/^Unauthorized: /, ''));
      this.#o.onRevoked?.(revoked);
      return revoked;
    }
    if (error instanceof UnauthorizedError || (error instanceof SdkHttpError && error.status === 401))
      return new PlexusError(
        'unauthorized',
        'hub_unauthorized',
        'the hub no longer accepts the access token',
        {
          hint: 'connect again for a new token',
        },
      );
    return error;
  }

  async #refresh(identity: LoadedIdentity): Promise<void> {
    const issued = await requestHubToken({
      hubUrl: this.#o.hubUrl,
      identity,
      pacing: this.#pacing,
      timeoutMs: this.#o.timeoutMs,
      now: this.#o.now,
    });
    this.#token = issued.access_token;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    // Refresh at 80% of the lifetime, so a request never carries an expired token.
    const delay = Math.max(1000, issued.expires_in * 800);
    this.#refreshTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#refresh(identity).catch((error: unknown) => {
        this.#o.log.warn({ err: error }, 'token refresh failed; retrying');
        this.#refreshTimer = setTimeout(() => void this.#refresh(identity).catch(() => undefined), 5000);
        this.#refreshTimer.unref();
      });
    }, delay);
    this.#refreshTimer.unref();
    this.#o.log.debug({ expiresIn: issued.expires_in }, 'access token issued');
  }

  /**
   * One `tools/call` (what the typed clients in `servers` send), within the request timeout unless the caller
   * names another. Throws hub_unreachable, hub_busy or hub_unauthorized when the hub did not answer it.
   */
  async callTool(params: ToolCallParams, options: RequestOptions = {}): Promise<CallToolResult> {
    try {
      return await this.client.callTool(params, { timeout: this.#o.timeoutMs, ...options });
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Asks the hub to tell of updates of `uris` (`notifications/resources/updated`, to the client's handler): on
   * one `subscriptions/listen` stream over 2026-07-28, by `resources/subscribe` over the 2025 handshake.
   * Throws when the hub refuses to watch any of them.
   */
  async watch(uris: readonly string[]): Promise<Watch> {
    const options = { timeout: this.#o.timeoutMs };
    try {
      if (this.client.getProtocolEra() !== 'modern') {
        for (const uri of uris) await this.client.subscribeResource({ uri }, options);
        return { via: 'subscribe', ended: never };
      }
      const subscription = await this.client.listen({ resourceSubscriptions: [...uris] }, options);
      this.#subscriptions.add(subscription);
      const honored = subscription.honoredFilter.resourceSubscriptions ?? [];
      const refused = uris.filter((uri) => !honored.includes(uri));
      if (refused.length > 0) {
        await subscription.close();
        throw new PlexusError('unavailable', 'watch_refused', `the hub does not watch ${refused.join(', ')}`);
      }
      const ended = subscription.closed.then((reason) => (reason === 'local' ? never : reason));
      return { via: 'listen', ended };
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.client.close().catch(() => undefined);
  }
}
