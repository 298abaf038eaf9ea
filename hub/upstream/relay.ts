import http from 'node:http';
import https from 'node:https';

/** Sockets kept open to one upstream: enough for the hub's own concurrency, bounded so one upstream cannot take all. */
const CONNECTIONS = 64;

/** An upstream's answer to a relayed request: its status, headers, and the body to read or dump. */
export interface RelayAnswer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** The whole body of an answer, as text (read by events: an async iterator costs more per call). */
export function answerText(answer: RelayAnswer): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    answer.body.setEncoding('utf8');
    answer.body.on('data', (chunk: string) => (text += chunk));
    answer.body.once('end', () => resolve(text));
    answer.body.once('error', reject);
  });
}

/**
 * Requests to a 2026-07-28 HTTP upstream sent as the client's own bytes (its body rewritten only where the hub
 * must), over node:http's kept-alive sockets: no MCP client per call and no SDK parsing of the answer. Not
 * undici: its pool waits a turn of the event loop before each request on an idle socket (to see whether the
 * socket was closed meanwhile), which at one call at a time costs more than the rest of the relay.
 */
export class Relay {
  readonly #url: URL;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #client: typeof http | typeof https;
  readonly #agent: http.Agent;

  /** `headers` are the configured ones the upstream gets on every request (its own credentials). */
  constructor(url: URL, headers: Record<string, string>) {
    this.#url = url;
    this.#path = `${url.pathname}${url.search}`;
    this.#headers = headers;
    this.#client = url.protocol === 'https:' ? https : http;
    // An idle socket is closed after 30 s, or before the upstream's own Keep-Alive timeout when it names one
    // (node:http honours that hint only under a timeout of the agent's own).
    const options = { keepAlive: true, maxSockets: CONNECTIONS, timeout: 30_000 };
    this.#agent = url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  /**
   * POSTs `body` to the upstream's MCP endpoint; the answer's body is the caller's to read or dump. A request
   * that sees no bytes for `timeoutMs` (waiting for the answer or within its body) fails.
   */
  post(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<RelayAnswer> {
    return new Promise((resolve, reject) => {
      const request = this.#client.request(
        {
          protocol: this.#url.protocol,
          hostname: this.#url.hostname,
          port: this.#url.port,
          path: this.#path,
          method: 'POST',
          agent: this.#agent,
          signal,
          headers: {
            ...headers,
            ...this.#headers,
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (answer) => resolve({ statusCode: answer.statusCode ?? 502, headers: answer.headers, body: answer }),
      );
      request.setTimeout(timeoutMs, () =>
        request.destroy(
          Object.assign(new Error(`no answer from the upstream in ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): Promise<void> {
    this.#agent.destroy();
    return Promise.resolve();
  }
}

/** The socket errors of a request the upstream never got (nothing was listening). */
export function refused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ECONNREFUSED';
}

/** The socket errors of a connection lost before its answer came (the upstream went away mid-call). */
export function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
}
