import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/server';
import { silentLogger } from '../../lib/log.ts';
import { DELEGATE_SCOPE, type Caller } from '../../lib/mcp/caller.ts';
import { SCOPE_META_KEY } from '../../lib/mcp/define-tool.ts';
import { authInfoFor, connectInProcess } from '../../lib/mcp/in-process.ts';
import { InProcessNotifier, inboxChannel, EVENTS_CHANNEL } from './domain/notifier.ts';
import { Router } from './domain/router.ts';
import { didKeyResolver } from './domain/sender-keys.ts';
import { openSqliteRouterStore } from './domain/store-sqlite.ts';
import { EVENTS_URI, inboxUri, routerChanges } from './resources.ts';
import { buildServer } from './server.ts';
import { agent, tempDir, testClock } from './testing.ts';

function build(t: TestContext) {
  const store = openSqliteRouterStore(join(tempDir(t), 'router.db'));
  t.after(() => store.close());
  const clock = testClock();
  const notifier = new InProcessNotifier();
  const router = new Router({
    store,
    notifier,
    keys: didKeyResolver,
    now: clock.now,
    limits: { maxEnvelopeBytes: 65_536, maxClockSkewMs: 60_000, maxAgeMs: 300_000 },
    retention: { maxEvents: 100, maxAgeMs: 3_600_000 },
    log: silentLogger,
  });
  return {
    notifier,
    make: () => buildServer({ router, notifier, maxBatch: 500, follow: true, log: silentLogger }),
  };
}

test('every router tool has a title, annotations, schemas and a scope', async (t) => {
  const { make } = build(t);
  const client = await connectInProcess(make(), { authInfo: authInfoFor(agent().did, ['read']) });
  t.after(() => client.close());
  const { tools } = await client.listTools();
  const scopes = Object.fromEntries(tools.map((tool) => [tool.name, tool._meta?.[SCOPE_META_KEY]]));
  assert.deepEqual(scopes, {
    send_message: 'write',
    send_messages: 'write',
    publish: 'write',
    fetch_inbox: 'read',
    ack_messages: 'write',
    receive_messages: 'write',
    subscribe_topic: 'write',
    unsubscribe_topic: 'write',
    publish_event: 'admin',
    fetch_events: 'read',
    get_inbox_depths: 'admin',
  });
  for (const tool of tools) {
    assert.ok(tool.title, tool.name);
    assert.ok(tool.outputSchema, tool.name);
    assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', tool.name);
    assert.equal(typeof tool.annotations?.destructiveHint, 'boolean', tool.name);
    assert.equal(typeof tool.annotations?.idempotentHint, 'boolean', tool.name);
    assert.equal(tool.annotations?.openWorldHint, false, tool.name);
  }
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.deepEqual(
    resourceTemplates.map((r) => r.uriTemplate),
    ['plexus://inbox/{did}'],
  );
});

test('a session lists only its own inbox, and its subscriptions end with it', async (t) => {
  const { make, notifier } = build(t);
  const B = agent();
  const client = await connectInProcess(make(), { authInfo: authInfoFor(B.did, ['read']) });
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri).sort(), [EVENTS_URI, inboxUri(B.did)].sort());
  await client.subscribeResource({ uri: inboxUri(B.did) });
  await client.subscribeResource({ uri: inboxUri(B.did) });
  await client.subscribeResource({ uri: EVENTS_URI });
  assert.equal(notifier.listenerCount(inboxChannel(B.did)), 1);
  assert.equal(notifier.listenerCount(EVENTS_CHANNEL), 1);
  await client.unsubscribeResource({ uri: EVENTS_URI });
  assert.equal(notifier.listenerCount(EVENTS_CHANNEL), 0);
  await client.close();
  assert.equal(notifier.listenerCount(inboxChannel(B.did)), 0);
});

test('over subscriptions/listen an inbox is watched by its owner, or by a delegate watching for its clients', async (t) => {
  const { notifier } = build(t);
  const changes = routerChanges(notifier);
  const [A, B] = [agent(), agent()];
  const seen: string[] = [];
  const watch = (caller: Caller) =>
    changes.watchResource(inboxUri(A.did), caller, () => seen.push(caller.subject));
  await watch({ subject: A.did, did: A.did, scopes: ['read'] });
  await watch({ subject: 'service:hub', did: null, scopes: ['admin', DELEGATE_SCOPE] });
  for (const stranger of [
    { subject: B.did, did: B.did, scopes: ['read'] },
    { subject: 'operator:root', did: null, scopes: ['admin'] },
  ]) {
    await assert.rejects(
      async () => watch(stranger),
      (e: unknown) => e instanceof ProtocolError && (e.data as { code?: string }).code === 'inbox_forbidden',
    );
  }
  await notifier.publish(inboxChannel(A.did));
  assert.deepEqual(seen, [A.did, 'service:hub']);
});
