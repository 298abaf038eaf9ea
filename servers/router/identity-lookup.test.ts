import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { silentLogger } from '../../lib/log.ts';
import { authInfoFor } from '../../lib/mcp/in-process.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import type { Envelope } from '../../schemas/envelope.ts';
import { component as identity } from '../identity/component.ts';
import { T0, cardFor, newAgent, ok, revocationFor, rotationFor } from '../identity/test-support.ts';
import { component as router } from './component.ts';
import { envelopeFrom, tempDir, testClock } from './testing.ts';

type Head = { seq: number; hash: string };

test('with the identity server composed, the router follows key rotation and refuses revoked senders', async (t) => {
  const clock = testClock(T0);
  const composition = await composeInProcess(
    { identity, router },
    {
      dataDir: tempDir(t),
      log: silentLogger,
      now: clock.now,
      settings: { router: { identity_cache_seconds: 0 } },
    },
  );
  t.after(() => composition.close());
  const registrar = await composition.connect('identity');
  const [A, B, stranger] = [newAgent(), newAgent(), newAgent()];
  const head0 = (await ok<{ log_head: Head }>(registrar, 'register_identity', { card: cardFor(A) })).log_head;
  const a = await composition.connect('router', authInfoFor(A.did, ['read', 'write']));
  const send = async (envelope: unknown) =>
    toolErrorOf(await a.callTool({ name: 'send_message', arguments: { envelope } }))?.code ?? 'accepted';
  assert.equal(await send(envelopeFrom(A, clock, { recipient: B.did })), 'accepted');

  // After a rotation the did:key's own key no longer signs for A; the new key does.
  const next = newAgent();
  const head1 = (
    await ok<{ log_head: Head }>(registrar, 'rotate_keys', {
      statement: rotationFor(A.did, head0, A.signing.secretKey, next),
    })
  ).log_head;
  assert.equal(await send(envelopeFrom(A, clock, { recipient: B.did })), 'signature_invalid');
  const { signature: _old, ...unsigned } = envelopeFrom(A, clock, { recipient: B.did });
  const byNewKey = signObject<Envelope>(unsigned, next.signing.secretKey);
  assert.equal(await send(byNewKey), 'accepted');

  await ok(registrar, 'revoke_identity', { statement: revocationFor(A.did, head1, next.signing.secretKey) });
  const { signature: _s, ...again } = envelopeFrom(A, clock, { recipient: B.did });
  assert.equal(await send(signObject<Envelope>(again, next.signing.secretKey)), 'sender_revoked');

  // A DID the identity server has never seen stands on its did:key.
  const s = await composition.connect('router', authInfoFor(stranger.did, ['write']));
  const fromStranger = envelopeFrom(stranger, clock, { recipient: B.did });
  assert.equal(
    toolErrorOf(await s.callTool({ name: 'send_message', arguments: { envelope: fromStranger } })),
    null,
  );
});

test('a cached sender key follows a rotation at once: the new key is asked for once, the old one dropped on the event', async (t) => {
  const clock = testClock(T0);
  const composition = await composeInProcess(
    { identity, router },
    {
      dataDir: tempDir(t),
      log: silentLogger,
      now: clock.now,
      settings: { router: { identity_cache_seconds: 3600 } },
    },
  );
  t.after(() => composition.close());
  const registrar = await composition.connect('identity');
  const [A, B] = [newAgent(), newAgent()];
  const head0 = (await ok<{ log_head: Head }>(registrar, 'register_identity', { card: cardFor(A) })).log_head;
  const a = await composition.connect('router', authInfoFor(A.did, ['read', 'write']));
  const send = async (envelope: unknown) =>
    toolErrorOf(await a.callTool({ name: 'send_message', arguments: { envelope } }))?.code ?? 'accepted';
  assert.equal(await send(envelopeFrom(A, clock, { recipient: B.did })), 'accepted', 'A’s key is now cached');

  const next = newAgent();
  await ok(registrar, 'rotate_keys', { statement: rotationFor(A.did, head0, A.signing.secretKey, next) });
  // The identity.rotated event renews the cached key: once it is out, the old key is refused.
  const rotatedSeen = async () => {
    const page = await a.callTool({ name: 'fetch_events', arguments: {} });
    const { events } = page.structuredContent as { events: { type: string; subject: string }[] };
    return events.some((e) => e.type === 'identity.rotated' && e.subject === A.did);
  };
  while (!(await rotatedSeen())) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await send(envelopeFrom(A, clock, { recipient: B.did })), 'signature_invalid');
  const { signature: _old, ...unsigned } = envelopeFrom(A, clock, { recipient: B.did });
  assert.equal(await send(signObject<Envelope>(unsigned, next.signing.secretKey)), 'accepted');
});
