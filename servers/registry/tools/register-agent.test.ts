import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateIdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import { signObject } from '../../../lib/crypto/signed-object.ts';
import { authInfoFor } from '../../../lib/mcp/in-process.ts';
import type { AgentView } from '../../../schemas/registry/tools.ts';
import { call, callError, callInvalid, signedCard, startRegistry } from '../testing.ts';

interface Registered {
  agent: AgentView;
  created: boolean;
}

describe('register_agent', () => {
  it('registers the caller from its signed card, online, and announces it', async (t) => {
    const h = await startRegistry(t);
    const keys = generateIdentityKeys();
    const client = await h.connect(keys.did);
    const card = signedCard(keys, { name: 'Scribe', capabilities: ['summarize', 'translate'] });
    const first = await call<Registered>(client, 'register_agent', { card });
    assert.equal(first.created, true);
    assert.equal(first.agent.did, keys.did);
    assert.equal(first.agent.status, 'online');
    assert.deepEqual(first.agent.capabilities, ['summarize', 'translate']);
    assert.deepEqual(first.agent.card, card);
    assert.equal(first.agent.last_heartbeat, h.clock.now());

    const got = await call<{ agent: AgentView }>(client, 'get_agent', { did: keys.did });
    assert.deepEqual(got.agent, first.agent);

    const again = await call<Registered>(client, 'register_agent', { card });
    assert.equal(again.created, false, 'the same card again is idempotent');

    const hub = await h.asHub('router');
    const { events } = await call<{ events: { type: string; subject: string; data: { to?: string } }[] }>(
      hub,
      'fetch_events',
      { types: ['agent.registered', 'agent.online'] },
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.subject]),
      [
        ['agent.registered', keys.did],
        ['agent.online', keys.did],
        ['agent.registered', keys.did],
      ],
    );
  });

  it("refuses someone else's card and a card not signed by its DID", async (t) => {
    const h = await startRegistry(t, { router: false });
    const mallory = generateIdentityKeys();
    const alice = generateIdentityKeys();
    const client = await h.connect(mallory.did);
    assert.equal(
      await callError(client, 'register_agent', { card: signedCard(alice) }),
      'card_not_yours',
      "alice's genuine card, replayed by mallory",
    );
    const forged = signObject({ ...signedCard(mallory), signature: undefined }, alice.signing.secretKey);
    assert.equal(await callError(client, 'register_agent', { card: forged }), 'signature_invalid');
    const tampered = { ...signedCard(mallory), name: 'Changed after signing' };
    assert.equal(await callError(client, 'register_agent', { card: tampered }), 'signature_invalid');
    assert.equal(await callError(client, 'get_agent', { did: mallory.did }), 'agent_not_found');
  });

  it('names the offending field of a malformed card', async (t) => {
    const h = await startRegistry(t, { router: false });
    const keys = generateIdentityKeys();
    const client = await h.connect(keys.did);
    const card = signedCard(keys, { capabilities: ['Not Valid'] });
    await callInvalid(client, 'register_agent', { card }, 'card.capabilities.0');
    const { signature: _s, ...unsigned } = signedCard(keys);
    await callInvalid(client, 'register_agent', { card: unsigned }, 'card.signature');
  });

  it('needs an agent identity and the write scope', async (t) => {
    const h = await startRegistry(t, { router: false });
    const keys = generateIdentityKeys();
    const operator = await h.composition.connect('registry', authInfoFor('operator:ops', ['admin']));
    const refused = await operator.callTool({
      name: 'register_agent',
      arguments: { card: signedCard(keys) },
    });
    assert.equal(refused.isError, true, 'an operator has no card of its own');
    const reader = await h.connect(keys.did, ['read']);
    assert.equal(await callError(reader, 'register_agent', { card: signedCard(keys) }), 'insufficient_scope');
  });

  it('only lets a newer card version replace the registered one', async (t) => {
    const h = await startRegistry(t, { router: false });
    const keys = generateIdentityKeys();
    const client = await h.connect(keys.did);
    await call(client, 'register_agent', { card: signedCard(keys, { version: 2, name: 'Two' }) });
    assert.equal(
      await callError(client, 'register_agent', { card: signedCard(keys, { version: 1, name: 'One' }) }),
      'card_stale',
    );
    assert.equal(
      await callError(client, 'register_agent', { card: signedCard(keys, { version: 2, name: 'Other' }) }),
      'card_stale',
    );
    const next = await call<Registered>(client, 'register_agent', {
      card: signedCard(keys, { version: 3, name: 'Three', capabilities: ['plan'] }),
    });
    assert.equal(next.created, false);
    assert.equal(next.agent.name, 'Three');
    assert.deepEqual(next.agent.capabilities, ['plan']);
  });

  it('refuses a card issued in the future', async (t) => {
    const h = await startRegistry(t, { router: false });
    const keys = generateIdentityKeys();
    const client = await h.connect(keys.did);
    const card = signedCard(keys, {}, h.clock.now() + 3_600_000);
    await callInvalid(client, 'register_agent', { card }, 'card.issuedAt');
  });

  it('refuses a DID the identity server has revoked', async (t) => {
    const h = await startRegistry(t, { identity: true });
    const keys = generateIdentityKeys();
    const card = signedCard(keys);
    const identity = await h.composition.connect('identity', authInfoFor(keys.did, ['read', 'write']));
    const registered = await call<{ log_head: { seq: number; hash: string } }>(
      identity,
      'register_identity',
      {
        card,
      },
    );
    const registry = await h.connect(keys.did);
    await call(registry, 'register_agent', { card });
    const statement = signObject(
      {
        type: 'plexus/revocation',
        did: keys.did,
        seq: registered.log_head.seq + 1,
        prev: registered.log_head.hash,
        issuedAt: h.clock.now(),
      },
      keys.signing.secretKey,
    );
    await call(identity, 'revoke_identity', { statement });
    assert.equal(
      await callError(registry, 'register_agent', { card: signedCard(keys, { version: 2 }) }),
      'did_revoked',
    );
  });
});
