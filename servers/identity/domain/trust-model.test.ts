import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Evidence } from './store.ts';
import { AUTHORITY, attesterCap, belief, computeTrust, discount, scoreShiftBound } from './trust-model.ts';

const params = { halfLifeMs: 86_400_000, authorityBelief: 0.5 };

function ev(
  attester: string,
  subject: string,
  positive: boolean,
  weight = 1,
  recordedAt = 0,
  reference = `${Math.random()}`,
): Evidence {
  return {
    attester,
    subject,
    source: attester === AUTHORITY ? 'task' : 'attestation',
    positive,
    weight,
    reference,
    recordedAt,
  };
}

test('discounting caps one attester at 2b/(1−b) units and keeps the opinion’s direction', () => {
  for (const b of [0.1, 1 / 3, 0.5, 0.9]) {
    const d = discount(b, { r: 1e9, s: 0 });
    assert.ok(d.r < attesterCap(b) && d.r > attesterCap(b) * 0.999);
    assert.equal(d.s, 0);
    assert.ok(Math.abs(belief(d) - b) < 1e-6);
  }
  assert.deepEqual(discount(0, { r: 5, s: 5 }), { r: 0, s: 0 });
  assert.deepEqual(discount(1, { r: 5, s: 2 }), { r: 5, s: 2 });
});

test('property: colluders never move a score by more than the bound', () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const viewer = 'V';
    const target = 'T';
    const honest: Evidence[] = Array.from({ length: 1 + Math.floor(rand() * 5) }, () =>
      ev(viewer, target, rand() < 0.8),
    );
    const clique = Array.from({ length: 2 + Math.floor(rand() * 10) }, (_, i) => `C${i}`);
    const firstHand: Evidence[] = [];
    // Some members earned first-hand trust: from the viewer, or outcomes via the authority.
    for (const m of clique) {
      if (rand() < 0.3) firstHand.push(ev(viewer, m, true, rand()));
      if (rand() < 0.3) for (let k = 0; k < 5; k++) firstHand.push(ev(AUTHORITY, m, true));
    }
    const smear: Evidence[] = [];
    for (const m of clique) {
      for (const o of clique) if (o !== m) smear.push(ev(m, o, true));
      const n = Math.floor(rand() * 20);
      for (let k = 0; k < n; k++) smear.push(ev(m, target, rand() < 0.5, rand()));
    }
    const input = { viewer, subject: target, revoked: new Set<string>(), now: 0, params };
    const base = computeTrust({ ...input, about: honest, firstHand: [] });
    const attacked = computeTrust({
      ...input,
      about: [...honest, ...smear],
      firstHand: [...firstHand, ...smear],
    });
    // The members' beliefs come from first-hand evidence only.
    let extra = 0;
    for (const m of clique) {
      const own = computeTrust({
        viewer,
        subject: m,
        about: firstHand.filter((e) => e.subject === m),
        firstHand: [],
        revoked: new Set(),
        now: 0,
        params,
      });
      extra += attesterCap(belief({ r: own.positive, s: own.negative }));
    }
    const bound = scoreShiftBound({ r: base.positive, s: base.negative }, extra);
    assert.ok(
      Math.abs(attacked.score - base.score) <= bound + 1e-12,
      `round ${round}: ${attacked.score} vs ${base.score}, bound ${bound}`,
    );
  }
});

test('self-attestation and revoked attesters count for nothing; decay halves per half-life', () => {
  const input = { viewer: 'V', subject: 'T', firstHand: [], now: 0, params };
  const self = computeTrust({
    ...input,
    about: [ev('T', 'T', true), ev('V', 'T', true)],
    revoked: new Set(),
  });
  assert.equal(self.positive, 1);
  const revoked = computeTrust({ ...input, about: [ev('V', 'T', true)], revoked: new Set(['V']) });
  assert.equal(revoked.score, 0.5);
  const old = computeTrust({ ...input, about: [ev('V', 'T', true, 1, -2 * 86_400_000)], revoked: new Set() });
  assert.ok(Math.abs(old.positive - 0.25) < 1e-12);
});
