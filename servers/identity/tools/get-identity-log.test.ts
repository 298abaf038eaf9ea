import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { verifyIdentityLog, type LogEntry } from '../../../lib/identity/identity-log.ts';
import { cardFor, failure, newAgent, ok, rotationFor, startIdentity } from '../test-support.ts';

type Head = { seq: number; hash: string };
type Entry = {
  seq: number;
  type: LogEntry['type'];
  statement: Record<string, unknown>;
  prev_hash: string | null;
  hash: string;
  recorded_at: number;
};

test('the log re-verifies from the did:key alone, and a broken chain is detected', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('operator:test', ['read', 'write']);
  const agent = newAgent();
  const k1 = newAgent();
  const head0 = (await ok<{ log_head: Head }>(client, 'register_identity', { card: cardFor(agent) }))
    .log_head;
  await ok(client, 'rotate_keys', { statement: rotationFor(agent.did, head0, agent.signing.secretKey, k1) });
  const log = await ok<{ verified: boolean; entries: Entry[] }>(client, 'get_identity_log', {
    did: agent.did,
  });
  assert.equal(log.verified, true);
  assert.deepEqual(
    log.entries.map((e) => e.type),
    ['register', 'rotate'],
  );
  assert.equal(log.entries[1]?.prev_hash, log.entries[0]?.hash);

  // A client re-verifies what it received.
  const entries: LogEntry[] = log.entries.map((e) => ({
    did: agent.did,
    seq: e.seq,
    type: e.type,
    statement: e.statement,
    prevHash: e.prev_hash,
    hash: e.hash,
    recordedAt: e.recorded_at,
  }));
  assert.equal(verifyIdentityLog(agent.did, entries).valid, true);
  const forged = entries.map((e, i) =>
    i === 1 ? { ...e, statement: { ...e.statement, key: agent.did.slice(8) } } : e,
  );
  assert.deepEqual(verifyIdentityLog(agent.did, forged), {
    valid: false,
    brokenAt: 1,
    problem: 'entry 1 hash does not match its content',
  });
  const dropped = [entries[1]!];
  assert.equal(verifyIdentityLog(agent.did, dropped).valid, false);

  // Tampering with the stored chain (swap in another rotation, rehashing nothing) is reported by the server.
  const db = new Database(join(h.dir, 'identity.sqlite'));
  t.after(() => db.close());
  db.prepare('UPDATE identity_log SET prev_hash = ? WHERE did = ? AND seq = 1').run(
    'A'.repeat(43),
    agent.did,
  );
  const broken = await ok<{ verified: boolean; broken_at: number; problem: string }>(
    client,
    'get_identity_log',
    { did: agent.did },
  );
  assert.equal(broken.verified, false);
  assert.equal(broken.broken_at, 1);
  assert.equal(await failure(client, 'get_identity_log', { did: newAgent().did }), 'did_not_found');
});
