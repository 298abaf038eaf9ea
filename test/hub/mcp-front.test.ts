import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { fixtureFactory, startTestHub } from './helpers.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request (fetch cannot send every header these tests need, nor a body of its choosing as is). */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

function errorOf(answer: Answer): { code: number; message: string } {
  return (JSON.parse(answer.body) as { error: { code: number; message: string } }).error;
}

const json = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A 2025-era `initialize`: the front reads it, the SDK's session transport answers it. */
const clientInfo = { name: 'front', version: '1' };
const params = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo };
const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params });

test('MCP front: request ids echoed or made up, CORS headers and preflight, Host/Origin refused', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, cors: { origins: ['http://app.example'] } },
    { components: { fix: fixtureFactory } },
  );
  const sane = await send(hub.mcpUrl, {
    headers: { ...json, 'X-Request-Id': 'abc-123.4:5' },
    body: initialize,
  });
  assert.equal(sane.status, 200);
  assert.equal(sane.headers['x-request-id'], 'abc-123.4:5');
  const insane = await send(hub.mcpUrl, { headers: { ...json, 'X-Request-Id': 'a/b' }, body: initialize });
  assert.match(String(insane.headers['x-request-id']), UUID);
  const health = await send(hub.url, { method: 'GET', path: '/healthz', headers: { 'X-Request-Id': 'h-1' } });
  assert.equal(health.headers['x-request-id'], 'h-1');

  const preflight = await send(hub.mcpUrl, {
    method: 'OPTIONS',
    path: '/mcp/fix',
    headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'http://app.example');
  assert.equal(preflight.headers['access-control-allow-methods'], 'GET, POST, DELETE, OPTIONS');
  assert.match(String(preflight.headers['access-control-allow-headers']), /Mcp-Method, Mcp-Name/);
  assert.equal(preflight.headers['access-control-max-age'], '600');
  assert.equal(preflight.headers['vary'], 'Origin');
  const fromApp = await send(hub.mcpUrl, {
    headers: { ...json, Origin: 'http://app.example' },
    body: initialize,
  });
  assert.equal(fromApp.status, 200);
  assert.equal(fromApp.headers['access-control-allow-origin'], 'http://app.example');
  assert.match(String(fromApp.headers['access-control-expose-headers']), /Mcp-Session-Id/);

  const foreign = await send(hub.mcpUrl, {
    method: 'OPTIONS',
    headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  assert.equal(errorOf(foreign).code, -32000);
  const rebinding = await send(hub.mcpUrl, { headers: { ...json, Host: 'evil.example' }, body: initialize });
  assert.equal(rebinding.status, 403);
  assert.match(errorOf(rebinding).message, /Host 'evil.example' is not served here/);
});

test('MCP front: the body limit, malformed JSON, JSON media types, charsets and codings as before', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { bodyBytes: 2048 } },
    { components: { fix: fixtureFactory } },
  );
  const big = JSON.stringify({ pad: 'x'.repeat(4096) });
  const declared = await send(hub.mcpUrl, { headers: json, body: big });
  assert.equal(declared.status, 413);
  assert.deepEqual(errorOf(declared), { code: -32600, message: 'request body larger than 2048 bytes' });
  // Chunked: no length to refuse it by, so it is counted as it comes.
  const chunked = await send(hub.mcpUrl, { headers: { ...json, 'Transfer-Encoding': 'chunked' }, body: big });
  assert.equal(chunked.status, 413);
  // Decompressed, the body is over the limit although its coding is not.
  const inflated = await send(hub.mcpUrl, {
    headers: { ...json, 'Content-Encoding': 'gzip' },
    body: zlib.gzipSync(big),
  });
  assert.equal(inflated.status, 413);

  for (const body of ['{"jsonrpc": "2.0",', '"a string"', '42']) {
    const malformed = await send(hub.mcpUrl, { headers: json, body });
    assert.equal(malformed.status, 400, body);
    assert.deepEqual(errorOf(malformed), { code: -32700, message: 'Parse error: body is not valid JSON' });
  }
  // `application/*+json` is JSON to the hub (the SDK's session transport then wants application/json).
  const vendor = await send(hub.mcpUrl, {
    headers: { ...json, 'Content-Type': 'application/vnd.example+json' },
    body: '{',
  });
  assert.equal(vendor.status, 400);
  assert.equal(errorOf(vendor).code, -32700);
  // An empty JSON body is `{}`, which is no JSON-RPC message.
  const empty = await send(hub.mcpUrl, { headers: { ...json, 'Content-Length': '0' }, body: '' });
  assert.equal(empty.status, 400);
  assert.equal(errorOf(empty).code, -32600);

  const accepted: [Record<string, string>, string | Buffer][] = [
    [{ 'Content-Type': 'application/json; charset=utf-8' }, initialize],
    [{ 'Content-Type': 'Application/JSON ; Charset="UTF-8"' }, initialize],
    [{ 'Content-Type': 'application/json; charset=utf-16le' }, Buffer.from(initialize, 'utf16le')],
    [{ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, zlib.gzipSync(initialize)],
    [{ 'Content-Type': 'application/json', 'Content-Encoding': 'br' }, zlib.brotliCompressSync(initialize)],
  ];
  for (const [headers, body] of accepted) {
    const answer = await send(hub.mcpUrl, { headers: { ...json, ...headers }, body });
    assert.equal(answer.status, 200, JSON.stringify(headers));
    assert.ok(answer.headers['mcp-session-id'], JSON.stringify(headers));
  }
  // Not a JSON media type: left unread for the SDK, which refuses it.
  for (const type of ['text/plain', 'application/+json']) {
    const other = await send(hub.mcpUrl, { headers: { ...json, 'Content-Type': type }, body: initialize });
    assert.equal(other.status, 415, type);
  }
  // A charset or a coding the hub cannot decode is refused as an internal error, as it always was.
  const undecodable: Record<string, string>[] = [
    { 'Content-Type': 'application/json; charset=latin1' },
    { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' },
  ];
  for (const headers of undecodable) {
    const refused = await send(hub.mcpUrl, { headers: { ...json, ...headers }, body: initialize });
    assert.equal(refused.status, 500, JSON.stringify(headers));
    assert.equal(errorOf(refused).code, -32603);
  }
});

test('MCP front: each MCP route has its bounded label in the HTTP request metric', async (t) => {
  const hub = await startTestHub(t, { auth: { enabled: false } }, { components: { fix: fixtureFactory } });
  const paths = [
    '/mcp',
    '/mcp/',
    '/mcp/fix',
    '/mcp/fix/?x=1',
    '/mcp/nope',
    '/mcp/v/some',
    '/MCP/fix',
    '/mcp/%E0',
  ];
  const statuses: number[] = [];
  for (const path of paths)
    statuses.push((await send(hub.url, { path, headers: json, body: initialize })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 404, 404, 200, 500]);
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  const counted = (route: string, status: number) =>
    Number(
      new RegExp(
        `plexus_http_requests_total\\{route="${route}",method="POST",status="${status}"\\} (\\d+)`,
      ).exec(metrics)?.[1] ?? 0,
    );
  assert.equal(counted('/mcp', 200), 1);
  assert.equal(counted('/mcp/fix', 200), 2);
  // Unknown names share one label, whatever the path held; `/mcp/` names none.
  assert.equal(counted('/mcp/unknown', 200), 1);
  assert.equal(counted('/mcp/unknown', 404), 1);
  assert.equal(counted('/mcp/unknown', 500), 1);
  assert.equal(counted('/mcp/v', 404), 1);
  assert.equal(counted('other', 200), 1);
});
