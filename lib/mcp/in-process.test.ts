import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { authInfoFor, authenticatedPair, connectInProcess } from './in-process.ts';

function whoamiServer(): McpServer {
  const server = new McpServer({ name: 'whoami', version: '1.0.0' });
  server.registerTool(
    'whoami',
    {
      inputSchema: z.object({}),
      outputSchema: z.object({ clientId: z.string(), scopes: z.array(z.string()), token: z.string() }),
    },
    (_args, ctx) => {
      const auth = ctx.http?.authInfo ?? { clientId: 'none', scopes: [], token: 'none' };
      const structured = { clientId: auth.clientId, scopes: auth.scopes, token: auth.token };
      return { structuredContent: structured, content: [{ type: 'text', text: auth.clientId }] };
    },
  );
  return server;
}

test('every request from the client carries the given auth info', async (t) => {
  const server = whoamiServer();
  t.after(() => server.close());
  const client = await connectInProcess(server, {
    authInfo: authInfoFor('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', ['read'], 'tok-1'),
    clientInfo: { name: 'tester', version: '2.0.0' },
  });
  t.after(() => client.close());
  for (let i = 0; i < 2; i++) {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual(result.structuredContent, {
      clientId: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      scopes: ['read'],
      token: 'tok-1',
    });
  }
  assert.deepEqual(server.server.getClientVersion(), { name: 'tester', version: '2.0.0' });
});

test('without auth info the server sees none', async (t) => {
  const server = whoamiServer();
  t.after(() => server.close());
  const client = await connectInProcess(server);
  t.after(() => client.close());
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(result.structuredContent, { clientId: 'none', scopes: [], token: 'none' });
});

test('two clients on two servers keep their own identities', async (t) => {
  const a = whoamiServer();
  const b = whoamiServer();
  t.after(() => Promise.all([a.close(), b.close()]));
  const alice = await connectInProcess(a, { authInfo: authInfoFor('operator:alice', ['admin']) });
  const bob = await connectInProcess(b, { authInfo: authInfoFor('operator:bob', ['read']) });
  t.after(() => Promise.all([alice.close(), bob.close()]));
  const [ra, rb] = await Promise.all([
    alice.callTool({ name: 'whoami', arguments: {} }),
    bob.callTool({ name: 'whoami', arguments: {} }),
  ]);
  assert.equal((ra.structuredContent as { clientId: string }).clientId, 'operator:alice');
  assert.equal((rb.structuredContent as { clientId: string }).clientId, 'operator:bob');
});

test('authenticatedPair keeps auth info set explicitly on a message', async () => {
  const [clientSide, serverSide] = authenticatedPair(authInfoFor('default', []));
  const seen: unknown[] = [];
  serverSide.onmessage = (_message, extra) => seen.push(extra?.authInfo?.clientId);
  await serverSide.start();
  await clientSide.start();
  await clientSide.send({ jsonrpc: '2.0', method: 'ping', id: 1 });
  await clientSide.send({ jsonrpc: '2.0', method: 'ping', id: 2 }, { authInfo: authInfoFor('explicit', []) });
  assert.deepEqual(seen, ['default', 'explicit']);
  await clientSide.close();
});
