import assert from 'node:assert/strict';
import http from 'node:http';
import { test, type TestContext } from 'node:test';
import { McpServer as V1Server } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as V1Transport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { callTool } from '../lib/clients/call-tool.ts';
import { ToolError } from '../lib/clients/errors.ts';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { createIdentityFile, type LoadedIdentity } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import { startTestHub, tempDir } from '../test/hub/helpers.ts';
import { CHAT_TYPE } from './chat.ts';
import { HubSession, isTransient } from './hub-session.ts';
import { ensureIdentityRegistered } from './registration.ts';

async function openSession(t: TestContext, hubUrl: string, identity?: LoadedIdentity): Promise<HubSession> {
  const session = new HubSession({
    hubUrl,
    ...(identity ? { identity } : {}),
    log: silentLogger,
    timeoutMs: 10_000,
  });
  t.after(() => session.close());
  await session.open();
  return session;
}

test('the hub client speaks 2026-07-28 to the hub: typed calls, inbox updates over subscriptions/listen', async (t) => {
  const hub = await startTestHub(t, {}, { catalogDefaults: true });
  // Without a token the hub refuses: a new connection (with a new token) may change that.
  const anonymous = new HubSession({ hubUrl: hub.url, log: silentLogger, timeoutMs: 10_000 });
  const refused = await anonymous.open().catch((e: unknown) => e);
  assert.equal((refused as { code?: string }).code, 'hub_unauthorized', String(refused));
  assert.ok(isTransient(refused));
  await anonymous.close();

  const dir = tempDir(t);
  const agent = (name: string) => createIdentityFile(`${dir}/${name}.json`, { name, role: 'tester' });
  const [alice, bob] = [agent('alice'), agent('bob')];
  const bobs = await openSession(t, hub.url, bob);
  assert.equal(bobs.protocolVersion, '2026-07-28');
  assert.equal(bobs.client.getProtocolEra(), 'modern');
  assert.equal(hub.aggregator.sessions.size, 0, 'the hub keeps no session for it');

  // A tool's refusal keeps its code and is final; the result of a call is parsed against its schema.
  const unknown = await bobs.servers.identity.resolveDid({ did: bob.did }).catch((e: unknown) => e);
  assert.ok(unknown instanceof ToolError, String(unknown));
  assert.equal(unknown.code, 'did_not_found');
  assert.equal(isTransient(unknown), false);
  await ensureIdentityRegistered(bobs, `${dir}/bob.json`, bob, silentLogger);
  assert.equal((await bobs.servers.identity.resolveDid({ did: bob.did })).card.name, 'bob');

  const inbox = `plexus://inbox/${bob.did}`;
  const updated = new Promise<string>((resolve) =>
    bobs.client.setNotificationHandler('notifications/resources/updated', (note) => resolve(note.params.uri)),
  );
  const watch = await bobs.watch([inbox, 'plexus://events']);
  assert.equal(watch.via, 'listen');
  const alices = await openSession(t, hub.url, alice);
  const envelope = createEnvelope(
    { did: alice.did, secretKey: alice.keys.signing.secretKey },
    { type: CHAT_TYPE, recipient: bob.did, content: { text: 'hi' }, sealTo: bob.card.keyAgreement },
  );
  await alices.servers.router.sendMessage({ envelope });
  assert.equal(await updated, inbox);
  const page = await bobs.servers.router.fetchInboxRaw({});
  assert.deepEqual(
    page.messages.map((message) => message['id']),
    [envelope.id],
  );

  // The hub going away ends the stream: the runtime takes that as a lost connection and connects again.
  await hub.close();
  assert.ok(['remote', 'graceful'].includes(await watch.ended));
  const gone = await bobs.servers.router.fetchInbox({}).catch((e: unknown) => e);
  assert.ok(isTransient(gone), String(gone));
});

/** A server on SDK v1, which speaks only the 2025 era: a tool and one resource that can be subscribed to. */
async function legacyServer(t: TestContext): Promise<{ url: string; touch(): Promise<void> }> {
  const servers: V1Server[] = [];
  const transports = new Map<string, V1Transport>();
  const build = () => {
    const server = new V1Server(
      { name: 'legacy', version: '1.0.0' },
      { capabilities: { resources: { subscribe: true } } },
    );
    server.registerTool(
      'add',
      { inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
      ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
    );
    server.registerResource('note', 'test://note', {}, () => ({
      contents: [{ uri: 'test://note', text: 'a note' }],
    }));
    server.server.setRequestHandler(SubscribeRequestSchema, () => ({}));
    servers.push(server);
    return server;
  };
  const httpServer = http.createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        transport = new V1Transport({
          sessionIdGenerator: () => crypto.randomUUID(),
          onsessioninitialized: (sessionId) => void transports.set(sessionId, transport as V1Transport),
        });
        await build().connect(transport);
      }
      await transport.handleRequest(req, res);
    })();
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });
  const { port } = httpServer.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    touch: async () => {
      for (const server of servers) await server.server.sendResourceUpdated({ uri: 'test://note' });
    },
  };
}

test('a hub that speaks only the 2025 era gets the handshake, and resources/subscribe for updates', async (t) => {
  const legacy = await legacyServer(t);
  const session = await openSession(t, legacy.url);
  assert.equal(session.client.getProtocolEra(), 'legacy');
  assert.equal(session.protocolVersion, '2025-11-25');
  const sum = await callTool(
    session,
    { server: 'legacy', tool: 'add' },
    { a: 2, b: 3 },
    z.object({ sum: z.number() }),
  );
  assert.deepEqual(sum, { sum: 5 });
  const updated = new Promise<string>((resolve) =>
    session.client.setNotificationHandler('notifications/resources/updated', (note) =>
      resolve(note.params.uri),
    ),
  );
  const watch = await session.watch(['test://note']);
  assert.equal(watch.via, 'subscribe');
  await legacy.touch();
  assert.equal(await updated, 'test://note');
});
