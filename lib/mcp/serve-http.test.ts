import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpServer, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { silentLogger } from '../log.ts';
import { callerOf } from './caller.ts';
import { Listeners, type ChangeFeed, type ListKind } from './change-feed.ts';
import type { Component } from './component.ts';
import { bearerToken, hostOriginProblem, hostnameOf } from './http-guard.ts';
import { serveHttp } from './serve-http.ts';

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

/** A component whose tool list and `test://mine` resource change on demand; only `user:good` may watch it. */
function changingComponent() {
  const lists = new Listeners<ListKind>();
  const updates = new Listeners<string>();
  const changes: ChangeFeed = {
    lists: ['tools'],
    resources: true,
    onListChanged: (listener) => lists.add(listener),
    watchResource(uri, caller, onUpdated) {
      if (uri !== 'test://mine' || caller.subject !== 'user:good') {
        return Promise.reject(
          new ProtocolError(ProtocolErrorCode.InvalidParams, `${caller.subject} may not watch ${uri}`),
        );
      }
      return Promise.resolve(updates.add((changed) => changed === uri && onUpdated()));
    },
  };
  const component: Component = { ...whoamiComponent(), changes };
  return { component, lists, updates };
}

function modernClient(url: string, token: string): { client: Client; connect(): Promise<void> } {
  const client = new Client(
    { name: 'modern', version: '1' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  return { client, connect: () => client.connect(transport) };
}

test('serveHttp serves 2026-07-28 clients without sessions, and their listen streams only what they may watch', async (t) => {
  const { component, lists, updates } = changingComponent();
  const served = await serveHttp(component, {
    verifyToken: (token) => Promise.resolve({ token, clientId: `user:${token}`, scopes: ['read'] }),
    log: silentLogger,
  });
  t.after(() => served.close());

  const good = modernClient(served.url, 'good');
  await good.connect();
  t.after(() => good.client.close());
  assert.equal(good.client.getProtocolEra(), 'modern');
  const result = await good.client.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: 'user:good' }]);
  assert.equal(served.sessions.size, 0, 'a modern client keeps no session');

  const seen: string[] = [];
  const toolsChanged = new Promise<void>((resolve) =>
    good.client.setNotificationHandler('notifications/tools/list_changed', () => resolve()),
  );
  const updated = new Promise<string>((resolve) =>
    good.client.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
  );
  const subscription = await good.client.listen({
    toolsListChanged: true,
    promptsListChanged: true,
    resourceSubscriptions: ['test://mine'],
  });
  assert.deepEqual(subscription.honoredFilter, {
    toolsListChanged: true,
    resourceSubscriptions: ['test://mine'],
  });
  lists.emit('tools');
  updates.emit('test://other');
  updates.emit('test://mine');
  await toolsChanged;
  seen.push(await updated);
  assert.deepEqual(seen, ['test://mine']);
  await subscription.close();

  const other = modernClient(served.url, 'other');
  await other.connect();
  t.after(() => other.client.close());
  await assert.rejects(
    other.client.listen({ resourceSubscriptions: ['test://mine'] }),
    (error: unknown) =>
      error instanceof ProtocolError && /user:other may not watch test:\/\/mine/.test(error.message),
  );

  // Closing the endpoint ends open streams with their closing result.
  const open = await good.client.listen({ toolsListChanged: true });
  await served.close();
  assert.equal(await open.closed, 'graceful');
});
