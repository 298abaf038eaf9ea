import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import { attestation } from '../test-support-trust.ts';
import { newAgent, ok, startIdentity } from '../test-support.ts';
import { attesterCap, scoreShiftBound } from '../domain/trust-model.ts';

type Trust = { score: number; positive: number; negative: number; attesters: number; attestations: number };
const trustOf = (client: Client, did: string, perspective: string) =>
  ok<Trust>(client, 'get_trust', { did, perspective });

test('a clique of fresh DIDs moves a trusted DID’s score by no more than the written bound', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['write']);
  const viewer = newAgent();
  const trusted = newAgent();
  for (let i = 0; i < 3; i++)
    await ok(client, 'attest', { attestation: attestation(viewer, trusted.did, true) });
  const before = await trustOf(client, trusted.did, viewer.did);
  assert.equal(before.score, 0.8);

  // 12 fresh DIDs vouch for each other and all smear the trusted DID, three times each.
  const clique = Array.from({ length: 12 }, () => newAgent());
  for (const member of clique) {
    for (const other of clique)
      if (other !== member) await ok(client, 'attest', { attestation: attestation(member, other.did, true) });
    for (let i = 0; i < 3; i++)
      await ok(client, 'attest', { attestation: attestation(member, trusted.did, false) });
  }
  // Bound for fresh DIDs: each has belief 0 in the viewer's eyes, so the shift is exactly 0.
  const fresh = await trustOf(client, trusted.did, viewer.did);
  assert.equal(fresh.score, before.score);
  assert.equal(fresh.attestations, 3 + 36);
  assert.equal((await trustOf(client, clique[0]!.did, viewer.did)).score, 0.5);

  // The viewer vouches for one member once: belief b = 1/3, so the whole clique can add at most
  // 2b/(1−b) = 1 unit of evidence, and the score moves by at most 1/(r+s+2+1) = 1/6.
  await ok(client, 'attest', { attestation: attestation(viewer, clique[0]!.did, true) });
  const entered = await trustOf(client, trusted.did, viewer.did);
  const bound = scoreShiftBound({ r: before.positive, s: before.negative }, attesterCap(1 / 3));
  assert.ok(Math.abs(bound - 1 / 6) < 1e-12);
  const shift = before.score - entered.score;
  assert.ok(shift > 0, 'the vouched member’s evidence counts');
  assert.ok(shift <= bound + 1e-12, `shift ${shift} exceeds bound ${bound}`);
  assert.equal(entered.attesters, 2);
  // Without discounting the 36 negatives would have dragged the score to 4/41 ≈ 0.10.
  assert.ok(entered.score > 0.6);
});

test('evidence decays with the configured half-life', async (t) => {
  const h = await startIdentity(t, { trust: { halfLifeDays: 10 } });
  const client = await h.connect('operator:test', ['write']);
  const viewer = newAgent();
  const subject = newAgent();
  for (let i = 0; i < 4; i++)
    await ok(client, 'attest', { attestation: attestation(viewer, subject.did, true) });
  assert.equal((await trustOf(client, subject.did, viewer.did)).score, 5 / 6);
  h.clock.now += 10 * 86_400_000;
  const halved = await trustOf(client, subject.did, viewer.did);
  assert.ok(Math.abs(halved.positive - 2) < 1e-9);
  assert.ok(Math.abs(halved.score - 3 / 4) < 1e-9);
  h.clock.now += 90 * 86_400_000;
  assert.ok(Math.abs((await trustOf(client, subject.did, viewer.did)).score - 0.5) < 0.01);
});

test('revoked subjects score 0; the authority view weighs attesters by their outcomes', async (t) => {
  const h = await startIdentity(t);
  const admin = await h.connect('operator:root', ['admin']);
  const worker = newAgent();
  const rater = newAgent();
  const subject = newAgent();
  await ok(admin, 'attest', { attestation: attestation(rater, subject.did, true) });
  assert.equal((await trustOf(admin, subject.did, 'authority')).score, 0.5);
  await ok(admin, 'report_outcome', { subject: rater.did, source: 'task', positive: true, reference: 'r1' });
  const seen = await trustOf(admin, subject.did, 'authority');
  assert.ok(seen.score > 0.5 && seen.score < 0.6);
  assert.equal(seen.attesters, 1);
  assert.equal((await trustOf(admin, worker.did, 'authority')).score, 0.5);
});
