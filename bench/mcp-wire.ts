// Thin MCP-over-HTTP clients for the proxy suite: each call is one POST on a kept-alive socket, so the
// figures measure the servers and not an SDK client sharing their core. Both eras: a 2026-07-28 client sends
// every request self-contained (envelope in `_meta`, `Mcp-Method`/`Mcp-Name` headers); a 2025-era client
// opens a session first and names it on every request.
import http from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { ToolCaller } from '../lib/clients/call-tool.ts';

const MODERN = '2026-07-28';

export interface WireClient {
  /** Calls a tool; throws when the answer is not a successful tool result. */
  call(): Promise<void>;
  close(): void;
}

interface Posted {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * POSTs `body`; `onEvent` (when given) gets the data of each event of an SSE answer as it arrives, before the
 * answer is resolved whole.
 */
function post(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
  again = true,
  onEvent?: (data: string) => void,
): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        let seen = 0;
        const streamed = onEvent && String(res.headers['content-type']).startsWith('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (!streamed) return;
          let last = 0;
          for (let end = text.indexOf('\n\n', seen); end !== -1; end = text.indexOf('\n\n', seen)) {
            const data = eventData(text.slice(seen, end));
            last = seen;
            seen = end + 2;
            if (data) onEvent(data);
          }
          // Only the last event handed on (the answer, when it is the last) and what follows it are kept.
          text = text.slice(last);
          seen -= last;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket its server closed just as it was reused (Node's documented race): sent once more.
      if (again && req.reusedSocket && error.code === 'ECONNRESET') {
        resolve(post(agent, url, headers, body, false, onEvent));
      } else reject(error);
    });
    req.end(body);
  });
}

/** The data lines of one SSE event, joined. */
function eventData(block: string): string {
  return block
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n');
}

/** The JSON-RPC response in a plain JSON body or in the last `data:` line of an SSE stream. */
function responseOf(posted: Posted): Record<string, unknown> {
  if (posted.status !== 200) throw new Error(`HTTP ${posted.status}: ${posted.body.slice(0, 300)}`);
  const type = String(posted.headers['content-type'] ?? '');
  let text = posted.body;
  if (type.startsWith('text/event-stream')) {
    const data = posted.body.split('\n').filter((line) => line.startsWith('data:'));
    text = (data.at(-1) ?? '').slice(5);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

function checked(posted: Posted, tool: string): void {
  const message = responseOf(posted);
  const result = message['result'] as { isError?: boolean } | undefined;
  if (!result || result.isError) throw new Error(`${tool} failed: ${posted.body.slice(0, 300)}`);
}

/** The pool a group of clients shares: one socket per concurrent caller, kept alive. */
export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets });
}

/** A 2026-07-28 caller of any tool, for a typed client (lib/clients) to drive over one kept-alive pool. */
export function modernCaller(agent: http.Agent, url: string, token?: string): ToolCaller {
  const target = new URL(url);
  const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'plexus-bench', version: '1' },
  };
  let id = 0;
  return {
    async callTool(params, options) {
      const n = ++id;
      const onprogress = options?.onprogress;
      const headers = {
        'Mcp-Protocol-Version': MODERN,
        'Mcp-Method': 'tools/call',
        'Mcp-Name': params.name,
        ...auth,
      };
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: n,
        method: 'tools/call',
        params: {
          ...params,
          _meta: { ...params._meta, ...meta, ...(onprogress ? { progressToken: n } : {}) },
        },
      });
      const progressOf = (data: string) => {
        const message = JSON.parse(data) as { method?: string; params?: Record<string, unknown> };
        if (message.method !== 'notifications/progress' || message.params?.['progressToken'] !== n) return;
        const { progressToken: _token, ...progress } = message.params;
        onprogress?.(progress as never);
      };
      const posted = await post(agent, target, headers, body, true, onprogress ? progressOf : undefined);
      const result = responseOf(posted)['result'] as CallToolResult | undefined;
      if (!result) throw new Error(`${params.name} failed: ${posted.body.slice(0, 300)}`);
      return result;
    },
  };
}

/** A 2026-07-28 client calling `tool` with no arguments. */
export function modernClient(agent: http.Agent, url: string, tool: string, token?: string): WireClient {
  const caller = modernCaller(agent, url, token);
  return {
    async call() {
      const result = await caller.callTool({ name: tool, arguments: {} });
      if (result.isError) throw new Error(`${tool} failed: ${JSON.stringify(result).slice(0, 300)}`);
    },
    close() {},
  };
}

/** A 2025-era client: `initialize` (at `version`) and `notifications/initialized`, then calls in its session. */
export async function legacyClient(
  agent: http.Agent,
  url: string,
  tool: string,
  options: { token?: string; version?: string } = {},
): Promise<WireClient> {
  const target = new URL(url);
  const version = options.version ?? '2025-11-25';
  const auth: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const init = await post(
    agent,
    target,
    auth,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: 'plexus-bench', version: '1' },
      },
    }),
  );
  responseOf(init);
  const session = init.headers['mcp-session-id'];
  if (typeof session !== 'string') throw new Error(`${url}: initialize gave no session id`);
  const headers = { ...auth, 'Mcp-Session-Id': session, 'Mcp-Protocol-Version': version };
  const initialized = await post(
    agent,
    target,
    headers,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  );
  if (initialized.status >= 300) throw new Error(`${url}: initialized answered ${initialized.status}`);
  let id = 0;
  return {
    async call() {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/call',
        params: { name: tool, arguments: {} },
      });
      checked(await post(agent, target, headers, body), tool);
    },
    close() {
      void fetch(target, { method: 'DELETE', headers }).catch(() => {});
    },
  };
}

/**
 * A client of the 2024-11-05 HTTP+SSE transport: a GET stream whose `endpoint` event names where to POST;
 * each POST is accepted (202) and its answer comes back as a `message` event on the stream.
 */
export async function sseClient(
  agent: http.Agent,
  url: string,
  tool: string,
  version: string,
): Promise<WireClient> {
  const pending = new Map<number, (message: Record<string, unknown>) => void>();
  const endpoint = Promise.withResolvers<URL>();
  const stream = http.get(url, { headers: { Accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      endpoint.reject(new Error(`${url}: GET answered ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buffered = '';
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let end = buffered.indexOf('\n\n');
      while (end !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
        const data = eventData(block);
        if (event === 'endpoint') endpoint.resolve(new URL(data, url));
        else if (event === 'message' && data) {
          const message = JSON.parse(data) as Record<string, unknown>;
          pending.get(message['id'] as number)?.(message);
          pending.delete(message['id'] as number);
        }
        end = buffered.indexOf('\n\n');
      }
    });
  });
  stream.on('error', (error) => endpoint.reject(error));
  const target = await endpoint.promise;
  let id = 0;
  const request = async (method: string, params: Record<string, unknown>) => {
    const n = ++id;
    const answered = new Promise<Record<string, unknown>>((resolve) => pending.set(n, resolve));
    const posted = await post(agent, target, {}, JSON.stringify({ jsonrpc: '2.0', id: n, method, params }));
    if (posted.status >= 300)
      throw new Error(`${method}: HTTP ${posted.status} ${posted.body.slice(0, 200)}`);
    return answered;
  };
  await request('initialize', {
    protocolVersion: version,
    capabilities: {},
    clientInfo: { name: 'plexus-bench', version: '1' },
  });
  await post(agent, target, {}, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return {
    async call() {
      const message = await request('tools/call', { name: tool, arguments: {} });
      const result = message['result'] as { isError?: boolean } | undefined;
      if (!result || result.isError)
        throw new Error(`${tool} failed: ${JSON.stringify(message).slice(0, 300)}`);
    },
    close() {
      stream.destroy();
    },
  };
}
