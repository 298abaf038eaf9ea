import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { ReplayGuard } from '../lib/crypto/replay.ts';
import { PlexusError } from '../lib/errors.ts';
import { createIdentityFile } from '../lib/identity/identity-file.ts';
import { CHAT_TYPE, openIncoming, textOf, topicOf } from './chat.ts';
import { Mailbox } from './mailbox.ts';
import { PeerKeys } from './peer-keys.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-'));
const alice = createIdentityFile(path.join(dir, 'a', 'identity.json'), { name: 'alice', role: 'r' });
const bob = createIdentityFile(path.join(dir, 'b', 'identity.json'), { name: 'bob', role: 'r' });
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function sealedToBob(text: string) {
  return createEnvelope(
    { did: alice.did, secretKey: alice.keys.signing.secretKey },
    { type: CHAT_TYPE, recipient: bob.did, content: { text }, sealTo: bob.card.keyAgreement },
  );
}

test('incoming mail is verified, opened once, and refused when tampered, replayed or not for us', async () => {
  const guard = new ReplayGuard({ maxAgeMs: Infinity });
  // No hub: senders stand on their did:key alone.
  const keys = new PeerKeys({ identity: () => null });
  const envelope = sealedToBob('hello bob');
  assert.equal(envelope.content, undefined, 'the router only sees ciphertext');
  const opened = await openIncoming(envelope, bob, guard, keys);
  assert.equal(textOf(opened.content), 'hello bob');
  const code = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      return error instanceof PlexusError ? error.code : 'other';
    }
    return 'accepted';
  };
  assert.equal(await code(() => openIncoming(envelope, bob, guard, keys)), 'envelope_replayed');
  assert.equal(
    await code(() => openIncoming({ ...sealedToBob('x'), thread: 'forged' }, bob, guard, keys)),
    'signature_invalid',
  );
  assert.equal(await code(() => openIncoming(sealedToBob('y'), alice, guard, keys)), 'not_for_me');
  const published = createEnvelope(
    { did: alice.did, secretKey: alice.keys.signing.secretKey },
    { type: CHAT_TYPE, recipient: 'topic:news', content: { text: 'to all' } },
  );
  assert.equal(
    await code(() => openIncoming(published, bob, guard, keys)),
    'not_for_me',
    'a topic delivery only where the caller accepts it',
  );
  assert.equal(textOf((await openIncoming(published, bob, guard, keys, true)).content), 'to all');
  assert.equal(topicOf(published.recipient), 'news');
  assert.equal(topicOf(bob.did), null);
  assert.equal(textOf({ other: 1 }), '{"other":1}');
});

test('the mailbox stores a message once, lists in order and keeps contacts and state', () => {
  const mailbox = new Mailbox(path.join(dir, 'b', 'data', 'agent.db'));
  const base = {
    direction: 'in' as const,
    peer: alice.did,
    peerName: 'alice',
    thread: null,
    type: CHAT_TYPE,
    content: { text: 't' },
  };
  assert.equal(mailbox.put({ ...base, id: 'm1', text: 'one', sentAt: 1 }, 10), true);
  assert.equal(
    mailbox.put({ ...base, id: 'm1', text: 'again', sentAt: 1 }, 11),
    false,
    'a redelivery is ignored',
  );
  mailbox.put({ ...base, id: 'm2', text: 'two', sentAt: 2 }, 12);
  mailbox.put({ ...base, id: 'm3', direction: 'out', text: 'mine', sentAt: 3 }, 13);
  assert.deepEqual(
    mailbox.list({ direction: 'in' }).map((m) => m.text),
    ['one', 'two'],
  );
  assert.equal(mailbox.hasReceived('m1'), true);
  assert.equal(mailbox.hasReceived('m3'), false, 'a sent message is not a received one (notes to self)');
  assert.equal(mailbox.put({ ...base, id: 'm3', text: 'mine', sentAt: 3 }, 14), true);
  assert.deepEqual(
    mailbox.list({ limit: 2 }).map((m) => [m.id, m.direction]),
    [
      ['m3', 'out'],
      ['m3', 'in'],
    ],
  );
  mailbox.setState('cursor', 'c1');
  assert.equal(mailbox.getState('cursor'), 'c1');
  mailbox.setState('cursor', null);
  assert.equal(mailbox.getState('cursor'), null);
  mailbox.putContact({
    did: alice.did,
    name: 'Alice',
    keyAgreement: alice.card.keyAgreement,
    endpoint: null,
    fetchedAt: 5,
  });
  assert.equal(mailbox.contactByName('alice')?.did, alice.did);
  assert.equal(mailbox.contact(alice.did)?.fetchedAt, 5);
  mailbox.close();
  assert.equal(fs.statSync(path.join(dir, 'b', 'data', 'agent.db')).mode & 0o077, 0);
});
