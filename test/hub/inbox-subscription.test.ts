import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createEnvelope } from '../../lib/crypto/envelope.ts';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { agentToken } from '../../bench/hub-fixture.ts';
import { connectClient, startTestHub } from './helpers.ts';

async function agentClient(t: TestContext, hub: { url: string; mcpUrl: string }, agent: IdentityKeys) {
  return connectClient(t, hub.mcpUrl, { token: await agentToken(hub.url, agent) });
}

test('inbox subscriptions through the hub: the owner is notified of new mail, others are refused', async (t) => {
  const hub = await startTestHub(t, {}, { catalogDefaults: true });
  const [a, b, c] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  const alice = await agentClient(t, hub, a);
  const bob = await agentClient(t, hub, b);
  const carol = await agentClient(t, hub, c);
  const inbox = `plexus://inbox/${b.did}`;

  const updated = new Promise<string>((resolve) =>
    bob.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
  );
  await bob.subscribeResource({ uri: inbox });
  await assert.rejects(carol.subscribeResource({ uri: inbox }), /inbox/i);

  const envelope = createEnvelope(
    { did: a.did, secretKey: a.signing.secretKey },
    { type: 'chat/message', recipient: b.did, content: { text: 'hi' }, sealTo: b.keyAgreement.publicKey },
  );
  const sent = await alice.callTool({ name: 'router__send_message', arguments: { envelope } });
  assert.equal(sent.isError, undefined, JSON.stringify(sent.content));
  assert.equal(await updated, inbox);

  // A second subscriber to the same URI is still checked upstream, not waved through by the shared session.
  await assert.rejects(carol.subscribeResource({ uri: inbox }), /inbox/i);
});

test('2026-07-28 clients watch their inbox over subscriptions/listen through the hub; others are refused', async (t) => {
  const hub = await startTestHub(t, {}, { catalogDefaults: true });
  const [a, b, c] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  const modern = async (agent: IdentityKeys) =>
    connectClient(t, hub.mcpUrl, { token: await agentToken(hub.url, agent), era: 'modern' });
  const [alice, bob, carol] = [await modern(a), await modern(b), await modern(c)];
  const inbox = `plexus://inbox/${b.did}`;

  const updated = new Promise<string>((resolve) =>
    bob.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
  );
  const subscription = await bob.listen({ resourceSubscriptions: [inbox] });
  assert.deepEqual(subscription.honoredFilter, { resourceSubscriptions: [inbox] });
  await assert.rejects(carol.listen({ resourceSubscriptions: [inbox] }), /inbox/i);

  const envelope = createEnvelope(
    { did: a.did, secretKey: a.signing.secretKey },
    { type: 'chat/message', recipient: b.did, content: { text: 'hi' }, sealTo: b.keyAgreement.publicKey },
  );
  const sent = await alice.callTool({ name: 'router__send_message', arguments: { envelope } });
  assert.equal(sent.isError, undefined, JSON.stringify(sent.content));
  assert.equal(await updated, inbox);
  await subscription.close();
});
