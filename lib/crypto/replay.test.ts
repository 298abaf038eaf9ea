import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlexusError } from '../errors.ts';
import { createEnvelope } from './envelope.ts';
import { generateIdentityKeys } from './identity-keys.ts';
import { ReplayGuard, type Freshness } from './replay.ts';

const alice = generateIdentityKeys();
const bob = generateIdentityKeys();
const T0 = 1_760_000_000_000;

function clock(start = T0): { now: () => number; set: (t: number) => void } {
  let current = start;
  return { now: () => current, set: (t) => (current = t) };
}

function envelope(at: number, ttl = 300): Freshness {
  return createEnvelope(
    { did: alice.did, secretKey: alice.signing.secretKey },
    { type: 'chat/message', recipient: bob.did, content: 'x', metadata: { ttl }, now: at },
  );
}

describe('ReplayGuard', () => {
  test('accepts a fresh envelope once and refuses its replay', () => {
    const guard = new ReplayGuard({ now: clock().now });
    const env = envelope(T0);
    assert.deepEqual(guard.check(env), { ok: true });
    const again = guard.check(env);
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.code, 'envelope_replayed');
    assert.equal(guard.size, 1);
  });

  test('refuses a reused nonce or id from the same sender, not from another', () => {
    const guard = new ReplayGuard({ now: clock().now });
    const env = envelope(T0);
    guard.check(env);
    assert.equal(guard.check({ ...env, id: envelope(T0).id }).ok, false, 'same nonce, new id');
    assert.equal(guard.check({ ...env, nonce: envelope(T0).nonce }).ok, false, 'same id, new nonce');
    assert.equal(guard.check({ ...env, sender: bob.did }).ok, true, 'another sender');
  });

  test('enforces the timestamp window both ways (default ±60 s)', () => {
    const guard = new ReplayGuard({ now: clock().now });
    const verdict = (at: number) => {
      const v = guard.check(envelope(at));
      return v.ok ? 'ok' : v.code;
    };
    assert.equal(verdict(T0 - 60_000), 'ok');
    assert.equal(verdict(T0 - 60_001), 'envelope_too_old');
    assert.equal(verdict(T0 + 60_000), 'ok');
    assert.equal(verdict(T0 + 60_001), 'envelope_from_future');
  });

  test('refuses an expired envelope even inside the window', () => {
    const c = clock();
    const guard = new ReplayGuard({ now: c.now, maxAgeMs: Infinity });
    const env = envelope(T0 - 1000, 1);
    const v = guard.check(env);
    assert.equal(!v.ok && v.code, 'envelope_expired');
  });

  test('with maxAgeMs Infinity, an old but unexpired inbox envelope passes once', () => {
    const guard = new ReplayGuard({ now: clock().now, maxAgeMs: Infinity });
    const env = envelope(T0 - 3_600_000, 7200);
    assert.equal(guard.check(env).ok, true);
    assert.equal(guard.check(env).ok, false);
  });

  test('forgets an envelope only once it could no longer pass the time checks', () => {
    const c = clock();
    const guard = new ReplayGuard({ now: c.now });
    const env = envelope(T0);
    guard.check(env);
    c.set(T0 + 60_000);
    assert.equal(guard.check(env).ok, false);
    c.set(T0 + 10 * 60_000);
    guard.check(envelope(T0 + 10 * 60_000)); // triggers a sweep
    assert.equal(guard.size, 1, 'the old entry was swept');
    const late = guard.check(env);
    assert.equal(!late.ok && late.code, 'envelope_expired');
  });

  test('stays bounded, and an evicted envelope is still refused (floor)', () => {
    const c = clock();
    const guard = new ReplayGuard({ now: c.now, maxEntries: 3 });
    const first = envelope(T0 - 10);
    assert.equal(guard.check(first).ok, true);
    for (let i = 1; i <= 5; i++) assert.equal(guard.check(envelope(T0 - 10 + i)).ok, true);
    assert.equal(guard.size, 3);
    const replay = guard.check(first);
    assert.equal(!replay.ok && replay.code, 'envelope_too_old');
  });

  test('assertFresh throws a PlexusError naming the field', () => {
    const guard = new ReplayGuard({ now: clock().now });
    const env = envelope(T0);
    guard.assertFresh(env);
    assert.throws(
      () => guard.assertFresh(env, 'envelopes.0'),
      (e: unknown) =>
        e instanceof PlexusError && e.code === 'envelope_replayed' && e.field === 'envelopes.0.id',
    );
    assert.throws(
      () => guard.assertFresh(envelope(T0 + 120_000)),
      (e: unknown) =>
        e instanceof PlexusError && e.code === 'envelope_from_future' && e.field === 'envelope.timestamp',
    );
  });

  test('rejects a nonsensical size', () => {
    assert.throws(() => new ReplayGuard({ maxEntries: 0 }), /maxEntries/);
  });
});
