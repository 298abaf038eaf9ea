// Child process for the sessions suite: opens MCP sessions on a hub (initialize, initialized, then an SSE GET
// stream left open), prints `ready <count>` when done or when its time budget runs out, and holds them until
// stdin closes. Kept out of the hub's process so the hub's RSS counts only the hub's side of each session.
import http from 'node:http';

const [url, token, countArg, budgetArg] = process.argv.slice(2);
if (!url || !token || !countArg || !budgetArg)
  throw new Error('usage: sessions-client <mcpUrl> <token> <count> <budgetMs>');
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
        if (!keepOpen) res.resume();
        resolve(res);
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

const deadline = performance.now() + Number(budgetArg);
const open: http.IncomingMessage[] = [];
const count = Number(countArg);
while (open.length < count && performance.now() < deadline) {
  const batch = Math.min(50, count - open.length);
  open.push(...(await Promise.all(Array.from({ length: batch }, openSession))));
}
process.stdout.write(`ready ${open.length}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
