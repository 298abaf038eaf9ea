import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import { cardFor, failure, newAgent, ok, startIdentity, T0 } from '../test-support.ts';

test('register → resolve round trip publishes the DID document and card', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const card = cardFor(agent, { name: 'Ada', capabilities: ['summarize', 'translate'] });
  const reg = await ok<{ created: boolean; version: number }>(client, 'register_identity', { card });
  assert.equal(reg.created, true);
  assert.equal(reg.version, 1);
  const resolved = await ok<{
    card: unknown;
    revoked: boolean;
    document: { verificationMethod: { publicKeyMultibase: string }[]; keyAgreement: string[] };
  }>(client, 'resolve_did', { did: agent.did });
  assert.deepEqual(resolved.card, card);
  assert.equal(resolved.revoked, false);
  const keys = resolved.document.verificationMethod.map((m) => m.publicKeyMultibase);
  assert.deepEqual(keys, [agent.did.slice('did:key:'.length), agent.keyAgreementMultibase]);
  assert.deepEqual(resolved.document.keyAgreement, [`${agent.did}#${agent.keyAgreementMultibase}`]);
  assert.deepEqual(
    h.events.map((e) => e.type),
    ['identity.registered'],
  );
  assert.equal(await failure(client, 'resolve_did', { did: newAgent().did }), 'did_not_found');
  // A new card (another endpoint, say) is an update: peers that cached the old one hear of it.
  const next = cardFor(agent, { name: 'Ada', version: 2, endpoints: { mcp: 'http://127.0.0.1:9/mcp' } });
  await ok(client, 'register_identity', { card: next });
  assert.deepEqual(
    h.events.map((e) => [e.type, e.subject]),
    [
      ['identity.registered', agent.did],
      ['identity.updated', agent.did],
    ],
  );
});

test('cards signed by another key, tampered, unsigned, expired or from the future are refused', async (t) => {
  const h = await startIdentity(t, { cardMaxAgeSeconds: 3600 });
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  const intruder = newAgent();
  const byOther = cardFor(agent, {}, intruder.signing.secretKey);
  assert.equal(await failure(client, 'register_identity', { card: byOther }), 'card_signature_invalid');
  const tampered = { ...cardFor(agent), name: 'Mallory' };
  assert.equal(await failure(client, 'register_identity', { card: tampered }), 'card_signature_invalid');
  const { signature: _s, ...unsigned } = cardFor(agent);
  assert.equal(await failure(client, 'register_identity', { card: unsigned }), 'card_unsigned');
  h.clock.now = T0 + 2 * 3600_000;
  assert.equal(await failure(client, 'register_identity', { card: cardFor(agent) }), 'card_expired');
  const future = cardFor(agent, { issuedAt: h.clock.now + 3600_000 });
  assert.equal(await failure(client, 'register_identity', { card: future }), 'timestamp_in_future');
  const badName = signObject(
    { ...cardFor(agent, { issuedAt: h.clock.now }), name: ' ', signature: undefined },
    agent.signing.secretKey,
  );
  assert.equal(await failure(client, 'register_identity', { card: badName }), 'invalid:card.name');
  // Nothing above left a trace.
  assert.equal(await h.store.getIdentity(agent.did), null);
});

test('a newer card updates; an older or equal one is refused', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const agent = newAgent();
  await ok(client, 'register_identity', { card: cardFor(agent, { version: 2 }) });
  assert.equal(
    await failure(client, 'register_identity', { card: cardFor(agent, { version: 2, name: 'Again' }) }),
    'card_not_newer',
  );
  assert.equal(
    await failure(client, 'register_identity', { card: cardFor(agent, { version: 1 }) }),
    'card_not_newer',
  );
  const updated = await ok<{ created: boolean; version: number }>(client, 'register_identity', {
    card: cardFor(agent, { version: 3, name: 'Renamed' }),
  });
  assert.deepEqual([updated.created, updated.version], [false, 3]);
  const resolved = await ok<{ card: { name: string } }>(client, 'resolve_did', { did: agent.did });
  assert.equal(resolved.card.name, 'Renamed');
});

test('registering needs the write scope', async (t) => {
  const h = await startIdentity(t);
  const reader = await h.connect('operator:viewer', ['read']);
  assert.equal(
    await failure(reader, 'register_identity', { card: cardFor(newAgent()) }),
    'insufficient_scope',
  );
});
