import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from '../lib/auth/client-assertion.ts';
import type { LoadedIdentity } from '../lib/identity/identity-file.ts';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';

/**
 * One authenticated MCP session with the hub: an access token from `<hub>/oauth/token` (private_key_jwt
 * signed by the agent's DID key), refreshed before it expires, sent on every request of an SDK client to
 * `<hub>/mcp`.
 */
export interface HubSessionOptions {
  hubUrl: string;
  identity: LoadedIdentity;
  log: Logger;
  /** Most time one request may take. */
  timeoutMs: number;
  clientName?: string;
  now?: () => number;
}

interface IssuedToken {
  access_token: string;
  expires_in: number;
}

/** Why the hub could not be used, as a PlexusError with a stable code. */
function unreachable(url: string, error: unknown): PlexusError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new PlexusError('unavailable', 'hub_unreachable', `cannot reach the hub at ${url} (${cause})`, {
    hint: 'is the hub running? set --hub, PLEXUS_HUB or hubUrl in agent.json',
  });
}

export class HubSession {
  readonly client: Client;
  readonly #o: HubSessionOptions;
  #token: string | null = null;
  #refreshTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: HubSessionOptions) {
    this.#o = options;
    this.client = new Client(
      { name: options.clientName ?? 'plexus-agent', version: '1.0.0' },
      { capabilities: {} },
    );
  }

  get tokenEndpoint(): string {
    return `${this.#o.hubUrl}/oauth/token`;
  }

  /** Gets a token and opens the MCP session. Throws hub_unreachable, identity_revoked or hub_refused. */
  async open(): Promise<void> {
    await this.#refresh();
    const transport = new StreamableHTTPClientTransport(new URL(`${this.#o.hubUrl}/mcp`), {
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        if (this.#token) headers.set('Authorization', `Bearer ${this.#token}`);
        return fetch(url, { ...init, headers });
      },
      // The runtime reconnects the whole session itself (new token, fresh session) when the hub goes away.
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
      throw error instanceof TypeError ? unreachable(this.#o.hubUrl, error) : error;
    }
  }

  async #fetchToken(): Promise<IssuedToken> {
    const { identity } = this.#o;
    const assertion = await createClientAssertion({
      did: identity.did,
      secretKey: identity.keys.signing.secretKey,
      audience: this.tokenEndpoint,
      ...(this.#o.now ? { now: this.#o.now() } : {}),
    });
    let response: Response;
    try {
      response = await fetch(this.tokenEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: identity.did,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        }),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.#o.hubUrl, error);
    }
    const body = (await response.json().catch(() => ({}))) as Partial<IssuedToken> & {
      error?: string;
      error_description?: string;
    };
    if (!response.ok || typeof body.access_token !== 'string') {
      const description = body.error_description ?? `HTTP ${response.status}`;
      if (/revoked/i.test(description))
        throw new PlexusError(
          'forbidden',
          'identity_revoked',
          `the hub refuses ${identity.did}: ${description}`,
          {
            hint: 'a revoked identity cannot come back; create a new one in another directory',
          },
        );
      const kind = response.status >= 500 ? 'unavailable' : 'unauthorized';
      throw new PlexusError(
        kind,
        'hub_refused',
        `the hub refused a token: ${body.error ?? ''} ${description}`,
      );
    }
    return { access_token: body.access_token, expires_in: body.expires_in ?? 300 };
  }

  async #refresh(): Promise<void> {
    const issued = await this.#fetchToken();
    this.#token = issued.access_token;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    // Refresh at 80% of the lifetime, so a request never carries an expired token.
    const delay = Math.max(1000, issued.expires_in * 800);
    this.#refreshTimer = setTimeout(() => {
      if (this.#closed) return;
      this.#refresh().catch((error: unknown) => {
        this.#o.log.warn({ err: error }, 'token refresh failed; retrying');
        this.#refreshTimer = setTimeout(() => void this.#refresh().catch(() => undefined), 5000);
        this.#refreshTimer.unref();
      });
    }, delay);
    this.#refreshTimer.unref();
    this.#o.log.debug({ expiresIn: issued.expires_in }, 'access token issued');
  }

  /** Calls a hub tool; a failed result throws a PlexusError carrying the tool's error code. */
  async call<T = Record<string, unknown>>(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<T> {
    let result: CallToolResult;
    try {
      result = await this.client.callTool(
        { name, arguments: args },
        {
          timeout: this.#o.timeoutMs,
          ...(signal ? { signal } : {}),
        },
      );
    } catch (error) {
      if (error instanceof TypeError) throw unreachable(this.#o.hubUrl, error);
      throw error;
    }
    const failure = toolErrorOf(result);
    if (failure) {
      throw new PlexusError(
        'unavailable',
        failure.code,
        `${name}: ${failure.message}`,
        failure.field ? { field: failure.field } : {},
      );
    }
    return (result.structuredContent ?? {}) as T;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    await this.client.close().catch(() => undefined);
  }
}
