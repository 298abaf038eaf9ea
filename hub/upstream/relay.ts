import { Pool, type Dispatcher } from 'undici';

/** Sockets kept open to one upstream: enough for the hub's own concurrency, bounded so one upstream cannot take all. */
const CONNECTIONS = 64;

/**
 * Requests to a 2026-07-28 HTTP upstream sent as the client's own bytes (its body rewritten only where the hub
 * must), over a pool of kept-alive sockets: no MCP client per call and no SDK parsing of the answer.
 */
export class Relay {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #pool: Pool;

  /** `headers` are the configured ones the upstream gets on every request (its own credentials). */
  constructor(url: URL, headers: Record<string, string>) {
    this.#url = url;
    this.#headers = headers;
    this.#pool = new Pool(url.origin, { connections: CONNECTIONS, keepAliveTimeout: 30_000 });
  }

  /** POSTs `body` to the upstream's MCP endpoint; the answer's body is the caller's to read or dump. */
  post(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Dispatcher.ResponseData> {
    return this.#pool.request({
      origin: this.#url.origin,
      path: `${this.#url.pathname}${this.#url.search}`,
      method: 'POST',
      headers: { ...headers, ...this.#headers },
      body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** The socket errors of a request the upstream never got (nothing was listening). */
export function refused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ECONNREFUSED';
}

/** The socket errors of a connection lost before its answer came (the upstream went away mid-call). */
export function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}
