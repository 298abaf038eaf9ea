import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { silentLogger } from '../log.ts';
import { callerOf } from './caller.ts';
import type { Component } from './component.ts';
import { bearerToken, hostOriginProblem, hostnameOf, serveHttp } from './serve-http.ts';

test('host names are taken from Host headers, with ports and IPv6 brackets', () => {
  assert.equal(hostnameOf('localhost:8080'), 'localhost');
  assert.equal(hostnameOf('[::1]:80'), '[::1]');
  assert.equal(hostnameOf('Example.COM'), 'example.com');
});

test('Host and Origin checks refuse DNS rebinding and foreign origins', () => {
  const policy = { hostnames: ['hub.example'], origins: ['https://app.example'] };
  const ok = (host: string, origin?: string) => hostOriginProblem({ host, origin }, policy) === null;
  assert.ok(ok('127.0.0.1:7420'));
  assert.ok(ok('localhost'));
  assert.ok(ok('[::1]:7420'));
  assert.ok(ok('hub.example'));
  assert.ok(!ok('evil.example:7420'), 'rebinding host');
  assert.ok(!ok('127.0.0.1.evil.example'));
  assert.equal(hostOriginProblem({}, policy), 'missing Host header');
  assert.ok(ok('localhost:7420', 'http://localhost:3000'), 'a local page');
  assert.ok(ok('hub.example', 'https://app.example'), 'an allowed origin');
  assert.ok(!ok('localhost:7420', 'http://evil.example'), 'a foreign page');
  assert.ok(!ok('localhost:7420', 'null'), 'an opaque origin');
  assert.ok(
    hostOriginProblem(
      { host: 'localhost', origin: 'https://x.example' },
      { hostnames: [], origins: ['*'] },
    ) === null,
  );
});

test('bearer tokens are parsed strictly', () => {
  assert.equal(bearerToken('Bearer abc.def-ghi_jkl'), 'abc.def-ghi_jkl');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), null);
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken(undefined), null);
});

function whoamiComponent(): Component {
  return {
    createServer() {
      const server = new McpServer({ name: 'who', version: '1' });
      server.registerTool('whoami', { description: 'caller' }, (extra) => ({
        content: [{ type: 'text', text: callerOf(extra).subject }],
      }));
      return server;
    },
    close: () => Promise.resolve(),
  };
}

test('serveHttp checks bearer tokens, binds sessions to their subject and closes everything', async (t) => {
  const served = await serveHttp(whoamiComponent(), {
    verifyToken: (token) =>
      token === 'good' || token === 'other'
        ? Promise.resolve({ token, clientId: `user:${token}`, scopes: ['read'] })
        : Promise.reject(new Error('unknown token')),
    log: silentLogger,
    maxSessions: 2,
  });
  t.after(() => served.close());
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  const noToken = await fetch(served.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(noToken.status, 401);
  assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);

  const client = new Client({ name: 't', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(served.url), {
    requestInit: { headers: { Authorization: 'Bearer good' } },
  });
  await client.connect(transport);
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'user:good' }]);
  assert.equal(served.sessions.size, 1);

  // Another subject cannot use this session.
  const hijack = await fetch(served.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      Authorization: 'Bearer other',
      'Mcp-Session-Id': transport.sessionId ?? '',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
  });
  assert.equal(hijack.status, 404);

  await client.close();
  await served.close();
  assert.equal(served.sessions.size, 0);
});

test('serveHttp without auth refuses a non-loopback host', async () => {
  await assert.rejects(
    serveHttp(whoamiComponent(), { verifyToken: null, host: '0.0.0.0', log: silentLogger }),
    /refusing to serve without authentication/,
  );
});
