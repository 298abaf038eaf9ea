import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import type { Lookup } from '../../lib/net/address-guard.ts';
import { WebSettings } from '../../schemas/web/tools.ts';
import { buildServer } from './server.ts';

const PAGE = `<!doctype html><html><head><title>Plexus &amp; friends</title><style>body{}</style>
<script>alert(1)</script></head><body><nav>menu</nav><h1>Hello</h1><p>Agents talk <a href="/x">here</a>.</p>
<ul><li>one</li><li>two</li></ul></body></html>`;

async function site(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<number> {
  const server = createServer(handler);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function client(t: TestContext, settings: unknown, lookup?: Lookup) {
  const server = buildServer({ settings: WebSettings.parse(settings), log: silentLogger, lookup });
  const c = await connectInProcess(server, { authInfo: authInfoFor('operator:test', ['read']) });
  t.after(() => c.close());
  return c;
}

function ok(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult;
  assert.equal(r.isError, undefined, JSON.stringify(r.content));
  return r.structuredContent as Record<string, unknown>;
}

const handler = (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/page') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
    res.end(gzipSync(PAGE));
  } else if (req.url === '/redirect') {
    res.writeHead(302, { location: '/page' });
    res.end();
  } else if (req.url === '/to-private') {
    res.writeHead(301, { location: 'http://10.0.0.1/secret' });
    res.end();
  } else if (req.url === '/loop') {
    res.writeHead(302, { location: '/loop' });
    res.end();
  } else if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(100_000));
  } else {
    res.writeHead(404).end('nope');
  }
};

test('fetch_url returns readable text, following redirects and decompressing', async (t) => {
  const port = await site(t, handler);
  const c = await client(t, { fetch: { allow_categories: ['loopback'] } });
  const page = ok(
    await c.callTool({ name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}/redirect` } }),
  );
  assert.equal(page['status'], 200);
  assert.equal(page['final_url'], `http://127.0.0.1:${port}/page`);
  assert.equal(page['title'], 'Plexus & friends');
  const text = page['text'] as string;
  assert.match(text, /HELLO/);
  assert.match(text, /Agents talk here \[\/x\]/);
  assert.match(text, /\* one\n \* two/);
  assert.doesNotMatch(text, /alert|menu|body\{\}/);

  const raw = ok(
    await c.callTool({
      name: 'fetch_url',
      arguments: { url: `http://127.0.0.1:${port}/page`, format: 'raw' },
    }),
  );
  assert.equal(raw['text'], PAGE);
});

test('loopback, private and metadata addresses are refused unless granted, including via DNS and redirects', async (t) => {
  const port = await site(t, handler);
  const lookup: Lookup = async (host) =>
    host === 'rebind.test' ? [{ address: '127.0.0.1', family: 4 }] : [];
  const closed = await client(t, {}, lookup);
  const refused = async (url: string) =>
    toolErrorOf(await closed.callTool({ name: 'fetch_url', arguments: { url } }))?.code;
  assert.equal(await refused(`http://127.0.0.1:${port}/page`), 'address_forbidden');
  assert.equal(await refused(`http://rebind.test:${port}/page`), 'address_forbidden');
  assert.equal(await refused('http://169.254.169.254/latest/meta-data/'), 'address_forbidden');
  assert.equal(await refused('http://[::1]/'), 'address_forbidden');

  const loopbackOnly = await client(t, { fetch: { allow_categories: ['loopback'] } });
  const viaRedirect = await loopbackOnly.callTool({
    name: 'fetch_url',
    arguments: { url: `http://127.0.0.1:${port}/to-private` },
  });
  assert.equal(toolErrorOf(viaRedirect)?.code, 'address_forbidden');
  const loop = await loopbackOnly.callTool({
    name: 'fetch_url',
    arguments: { url: `http://127.0.0.1:${port}/loop` },
  });
  assert.equal(toolErrorOf(loop)?.code, 'too_many_redirects');
});

test('host allow-list and size cap', async (t) => {
  const port = await site(t, handler);
  const c = await client(t, {
    fetch: { allow_categories: ['loopback'], allow_hosts: [`127.0.0.1:${port}`], max_bytes: 4096 },
  });
  const big = ok(await c.callTool({ name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}/big` } }));
  assert.equal(big['bytes'], 4096);
  assert.equal(big['truncated'], true);
  const other = await c.callTool({
    name: 'fetch_url',
    arguments: { url: `http://localhost:${port + 1}/big` },
  });
  assert.equal(toolErrorOf(other)?.code, 'host_not_allowed');
  const scheme = await c.callTool({ name: 'fetch_url', arguments: { url: 'file:///etc/passwd' } });
  assert.equal(toolErrorOf(scheme)?.code, 'invalid_params');
});

test('web_search through SearXNG and Brave endpoints', async (t) => {
  const seen: string[] = [];
  const port = await site(t, (req, res) => {
    seen.push(`${req.url} ${String(req.headers['x-subscription-token'] ?? '')}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.startsWith('/searx/search')) {
      res.end(
        JSON.stringify({
          results: [
            { title: 'A', url: 'https://a.example', content: 'about a' },
            { title: 'B', url: 'https://b.example' },
          ],
        }),
      );
    } else {
      res.end(
        JSON.stringify({
          web: { results: [{ title: 'C', url: 'https://c.example', description: 'about c' }] },
        }),
      );
    }
  });
  const searx = await client(t, { search: { provider: 'searxng', url: `http://127.0.0.1:${port}/searx` } });
  const found = ok(
    await searx.callTool({ name: 'web_search', arguments: { query: 'plexus agents', limit: 1 } }),
  );
  assert.deepEqual(found['results'], [{ title: 'A', url: 'https://a.example', snippet: 'about a' }]);

  const brave = await client(t, {
    search: { provider: 'brave', url: `http://127.0.0.1:${port}/brave`, api_key: 'k1' },
  });
  const braveFound = ok(await brave.callTool({ name: 'web_search', arguments: { query: 'q' } }));
  assert.deepEqual(braveFound['results'], [{ title: 'C', url: 'https://c.example', snippet: 'about c' }]);
  assert.deepEqual(seen, ['/searx/search?q=plexus+agents&format=json ', '/brave?q=q&count=10 k1']);

  const none = await client(t, {});
  assert.ok(!(await none.listTools()).tools.some((x) => x.name === 'web_search'));
});
