import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { identityClient } from '../../lib/clients/identity.ts';
import { SigningKeys } from '../../lib/identity/signing-keys.ts';
import type { RecordOf } from '../../schemas/memory/record.ts';
import {
  T0,
  cardFor,
  newAgent,
  revocationFor,
  rotationFor,
  startIdentity,
} from '../identity/test-support.ts';
import { openSqliteMemory } from './domain/memory.ts';
import { seal } from './domain/records.ts';
import { tempDir } from './testing.ts';

test('synced records are checked by the key their author signed with when it recorded them', async (t) => {
  const h = await startIdentity(t);
  const identity = identityClient(await h.connect('operator:test', ['read', 'write']));
  const alice = newAgent();
  const bob = newAgent();
  await identity.registerIdentity({ card: cardFor(alice) });
  const keys = new SigningKeys({ identity: () => identity, now: () => h.clock.now });
  const federation = openSqliteMemory({ path: join(tempDir(t), 'federation.db'), keys });
  t.after(() => federation.close());
  const note = (secretKey: Uint8Array, recordedAt: number, text: string, author = alice.did) =>
    seal<RecordOf<'note'>>(
      {
        kind: 'note',
        author,
        scope: { kind: 'public' },
        recordedAt,
        validFrom: recordedAt,
        validTo: null,
        body: { text },
      },
      { did: author, secretKey },
    );
  const push = async (...records: RecordOf<'note'>[]) => {
    const result = await federation.sync.push(alice.did, records);
    return [result.stored, result.rejected.map((r) => r.code)];
  };
  const old = alice.signing.secretKey;
  assert.deepEqual(
    await push(note(old, T0 + 1_000, 'before')),
    [1, []],
    'the did:key key before any rotation',
  );

  h.clock.now = T0 + 10_000;
  const { log_head: head } = await identity.resolveDid({ did: alice.did });
  const next = newAgent();
  await identity.rotateKeys({ statement: rotationFor(alice.did, head, old, next) });
  h.clock.now = T0 + 20_000;
  // Alice's keys were cached before the rotation: the new key's signature makes the log be read again.
  assert.deepEqual(await push(note(next.signing.secretKey, T0 + 20_000, 'after')), [1, []]);
  assert.deepEqual(
    await push(note(old, T0 + 5_000, 'made before, pushed after')),
    [1, []],
    'a retired key for what it recorded before the rotation',
  );
  assert.deepEqual(
    await push(note(old, T0 + 20_000, 'forged')),
    [0, ['signature_invalid']],
    'the retired key after the rotation',
  );
  const pulled = await federation.sync.ingest([note(old, T0 + 20_000, 'forged, pulled')]);
  assert.deepEqual(
    [pulled.stored.length, pulled.rejected.map((r) => r.code)],
    [0, ['signature_invalid']],
    'pulled, too',
  );

  h.clock.now = T0 + 30_000;
  const { log_head: last } = await identity.resolveDid({ did: alice.did });
  await identity.revokeIdentity({ statement: revocationFor(alice.did, last, next.signing.secretKey) });
  keys.forget(alice.did);
  assert.deepEqual(
    await push(note(next.signing.secretKey, T0 + 30_000, 'revoked')),
    [0, ['signature_invalid']],
    'nothing of a revoked author',
  );
  // Pulled after the revocation, a record the federation took before it is left out, and the pull goes on.
  const afterRevocation = await federation.sync.ingest([
    note(next.signing.secretKey, T0 + 20_000, 'taken before the revocation'),
    note(bob.signing.secretKey, T0 + 30_000, 'by someone else', bob.did),
  ]);
  assert.deepEqual(
    [afterRevocation.stored.length, afterRevocation.rejected.map((r) => [r.index, r.code])],
    [1, [[0, 'signature_invalid']]],
  );
});
