// Child process for the sessions suite, kept out of the hub's process so the hub's memory counts only the
// hub's side. `sessions` mode opens 2025-era MCP sessions (initialize, initialized, then an SSE GET stream left
// open), prints `ready <count>` when done or when its time budget runs out, and holds them until stdin closes.
// `modern` mode makes that many 2026-07-28 clients each send their requests (tools/list, then a tool call),
// nothing held between them, and prints `ready <count>` when all were answered.
import http from 'node:http';

const [mode, url, token, countArg, budgetArg] = process.argv.slice(2);
if (!url || !token || !countArg || !budgetArg || (mode !== 'sessions' && mode !== 'modern'))
  throw new Error('usage: sessions-client sessions|modern <mcpUrl> <token> <count> <budgetMs>');
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const base = {
  Authorization: `Bearer ${token}`,
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
};

function request(
  method: string,
  headers: Record<string, string>,
  body: string | null,
  keepOpen = false,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        headers: { ...base, ...headers },
        agent: keepOpen ? false : agent,
      },
      (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          reject(new Error(`${method} ${res.statusCode}`));
          res.resume();
          return;
        }
        if (keepOpen) {
          resolve(res);
          return;
        }
        // Answered when the whole response has arrived.
        res.resume();
        res.once('end', () => resolve(res));
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

async function openSession(): Promise<http.IncomingMessage> {
  const init = await request(
    'POST',
    {},
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  );
  const id = init.headers['mcp-session-id'];
  if (typeof id !== 'string') throw new Error('no session id');
  const session = { 'Mcp-Session-Id': id, 'Mcp-Protocol-Version': '2025-06-18' };
  await request('POST', session, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return request('GET', { ...session, Accept: 'text/event-stream' }, null, true);
}

/** One 2026-07-28 client: its requests carry everything (envelope, routing headers); the hub keeps nothing. */
async function modernClient(n: number): Promise<void> {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: `bench-${n}`, version: '1' },
  };
  const send = async (method: string, params: Record<string, unknown>, name?: string) => {
    const response = await request(
      'POST',
      {
        'Mcp-Protocol-Version': '2026-07-28',
        'Mcp-Method': method,
        ...(name ? { 'Mcp-Name': name } : {}),
      },
      JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } }),
    );
    if (response.statusCode !== 200) throw new Error(`${method} answered ${response.statusCode}`);
  };
  await send('tools/list', {});
  await send('tools/call', { name: 'identity__get_jwks', arguments: {} }, 'identity__get_jwks');
}

const deadline = performance.now() + Number(budgetArg);
const open: http.IncomingMessage[] = [];
const count = Number(countArg);
let done = 0;
while (done < count && performance.now() < deadline) {
  const batch = Math.min(50, count - done);
  if (mode === 'sessions') open.push(...(await Promise.all(Array.from({ length: batch }, openSession))));
  else await Promise.all(Array.from({ length: batch }, (_, i) => modernClient(done + i)));
  done += batch;
}
process.stdout.write(`ready ${done}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
