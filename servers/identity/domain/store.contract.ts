import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AgentCard } from '../../../schemas/agent-card.ts';
import type { IdentityState, LogEntry } from '../../../lib/identity/identity-log.ts';
import { StoreConflictError, type EvidenceRecord, type IdentityStore } from './store.ts';

/** A store factory for one test (null = skipped); the factory registers its own cleanup. */
export type MakeIdentityStore = (t: TestContext) => Promise<IdentityStore | null>;

const A = 'did:key:z6MkA';
const B = 'did:key:z6MkB';
const NOW = 1_800_000_000_000;

function entry(
  did: string,
  seq: number,
  type: LogEntry['type'] = seq === 0 ? 'register' : 'rotate',
): LogEntry {
  return {
    did,
    seq,
    type,
    statement: { n: seq, nested: { list: [1, 'two'] } },
    prevHash: seq === 0 ? null : `h${seq - 1}`,
    hash: `h${seq}`,
    recordedAt: NOW + seq,
  };
}

function state(did: string, seq: number, revoked = false): IdentityState {
  return {
    did,
    card: { did, name: 'n', version: 1 } as unknown as AgentCard,
    key: `key${seq}`,
    keyAgreement: 'ka',
    revoked,
    revokedAt: revoked ? NOW : null,
    nextKeyCommitment: null,
    headSeq: seq,
    headHash: `h${seq}`,
    createdAt: NOW,
    updatedAt: NOW + seq,
  };
}

function evidence(attester: string, subject: string, reference: string, positive = true): EvidenceRecord {
  return {
    attester,
    subject,
    source: 'attestation',
    positive,
    weight: 0.5,
    reference,
    recordedAt: NOW,
    statement: { sig: 'x' },
  };
}

/** The behaviour every IdentityStore implementation must have. */
export function runIdentityStoreContract(name: string, make: MakeIdentityStore): void {
  async function open(t: TestContext): Promise<IdentityStore | null> {
    const store = await make(t);
    if (store) t.after(() => store.close());
    return store;
  }

  test(`${name}: log appends are atomic with the state and refuse a taken position`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.getIdentity(A), null);
    await store.appendEntry(entry(A, 0), state(A, 0));
    await store.appendEntry(entry(A, 1), state(A, 1));
    await assert.rejects(store.appendEntry(entry(A, 1), state(A, 9)), StoreConflictError);
    assert.deepEqual(await store.getIdentity(A), state(A, 1));
    assert.deepEqual(await store.getLog(A), [entry(A, 0), entry(A, 1)]);
    assert.deepEqual(await store.getLog(B), []);
    await store.appendEntry(entry(B, 0), state(B, 0));
    await store.appendEntry(entry(B, 1, 'revoke'), state(B, 1, true));
    assert.deepEqual([...(await store.revokedAmong([A, B, 'did:key:z6MkC']))], [B]);
    assert.deepEqual([...(await store.revokedAmong([]))], []);
  });

  test(`${name}: one-time uses and challenges are single use until they expire`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.useOnce('jti-1', NOW + 1000, NOW), true);
    assert.equal(await store.useOnce('jti-1', NOW + 1000, NOW + 10), false);
    // Once expired, the record no longer blocks (and is purged).
    assert.equal(await store.useOnce('jti-1', NOW + 5000, NOW + 2000), true);
    await store.saveChallenge({ nonce: 'n1', did: A, expiresAt: NOW + 100 });
    await store.saveChallenge({ nonce: 'n2', did: null, expiresAt: NOW + 100_000 });
    assert.deepEqual(await store.getChallenge('n1'), { nonce: 'n1', did: A, expiresAt: NOW + 100 });
    assert.equal(await store.consumeChallenge('n1'), true);
    assert.equal(await store.consumeChallenge('n1'), false);
    assert.equal(await store.getChallenge('n1'), null);
    await store.purgeExpired(NOW + 200_000);
    assert.equal(await store.getChallenge('n2'), null);
    assert.equal(await store.useOnce('jti-1', NOW + 300_000, NOW + 200_000), true);
  });

  test(`${name}: the first authority key wins and is returned ever after`, async (t) => {
    const store = await open(t);
    if (!store) return;
    const first = {
      kid: 'k1',
      secretKey: new Uint8Array(32).fill(1),
      publicKey: new Uint8Array(32).fill(2),
      createdAt: NOW,
    };
    const second = {
      kid: 'k2',
      secretKey: new Uint8Array(32).fill(3),
      publicKey: new Uint8Array(32).fill(4),
      createdAt: NOW + 1,
    };
    assert.deepEqual(await store.authorityKey(first), first);
    assert.deepEqual(await store.authorityKey(second), first);
  });

  test(`${name}: evidence is unique per attester, subject, source and reference`, async (t) => {
    const store = await open(t);
    if (!store) return;
    assert.equal(await store.addEvidence(evidence(A, B, 'task:1')), true);
    assert.equal(await store.addEvidence(evidence(A, B, 'task:1', false)), false);
    assert.equal(await store.addEvidence({ ...evidence(A, B, 'task:1'), source: 'task' }), true);
    assert.equal(await store.addEvidence(evidence(B, A, 'task:1')), true);
    assert.equal(await store.addEvidence({ ...evidence('plexus:authority', A, 'x'), statement: null }), true);
    const aboutB = await store.evidenceAbout([B]);
    assert.equal(aboutB.length, 2);
    const { statement: _kept, ...read } = evidence(A, B, 'task:1');
    assert.deepEqual(
      aboutB.find((e) => e.source === 'attestation'),
      read,
    );
    assert.equal((await store.evidenceAbout([A, B])).length, 4);
    assert.deepEqual(
      (await store.evidenceAbout([A], ['plexus:authority'])).map((e) => e.reference),
      ['x'],
    );
    assert.deepEqual(await store.evidenceAbout([A], []), []);
    assert.deepEqual(await store.evidenceAbout([]), []);
  });
}
