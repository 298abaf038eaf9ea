import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEnvelope } from '../lib/crypto/envelope.ts';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { Envelope, EnvelopeMetadataInput, MAX_ENVELOPE_BYTES, MAX_TTL_SECONDS } from './envelope.ts';
import { SealedPayload } from './sealed.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const alice = generateIdentityKeys();
const bob = generateIdentityKeys();
const signer = { did: alice.did, secretKey: alice.signing.secretKey };
const T = 1_760_000_000_000;
const plain = createEnvelope(signer, {
  type: 'chat/message',
  recipient: bob.did,
  content: { text: 'hi' },
  now: T,
});
const sealed = createEnvelope(signer, {
  type: 'task/assign',
  recipient: bob.did,
  content: { task: 1 },
  sealTo: bob.keyAgreementMultibase,
  thread: 'job-7',
  now: T,
});
const topic = createEnvelope(signer, { type: 'news/post', recipient: 'topic:news', content: 'x', now: T });

describe('Envelope schema', () => {
  test('accepts plaintext, sealed and topic envelopes', () => {
    assertAccepts(Envelope, plain);
    assertAccepts(Envelope, sealed);
    assertAccepts(Envelope, topic);
    assertAccepts(Envelope, { ...plain, content: null });
  });

  const rejections: [string, unknown, string][] = [
    ['id', 'not-a-uuid', 'id'],
    ['id', '01890a5d-ac96-474b-bcce-b302099a8057', 'id'],
    ['type', 'chat', 'type'],
    ['type', 'Chat/Message', 'type'],
    ['type', 'chat/' + 'x'.repeat(64), 'type'],
    ['sender', 'did:web:example.com', 'sender'],
    ['sender', 'topic:news', 'sender'],
    ['recipient', 'bob', 'recipient'],
    ['recipient', 'topic:', 'recipient'],
    ['recipient', 'topic:' + 'a'.repeat(129), 'recipient'],
    ['timestamp', -5, 'timestamp'],
    ['timestamp', 1.5, 'timestamp'],
    ['timestamp', String(T), 'timestamp'],
    ['expires', T + 1, 'expires'],
    ['nonce', 'AAAA', 'nonce'],
    ['nonce', Buffer.alloc(17).toString('base64url'), 'nonce'],
    ['thread', '', 'thread'],
    ['thread', 'x'.repeat(129), 'thread'],
    ['metadata.priority', 'critical', 'metadata.priority'],
    ['metadata.ttl', 0, 'metadata.ttl'],
    ['metadata.ttl', MAX_TTL_SECONDS + 1, 'metadata.ttl'],
    ['metadata.ttl', 2.5, 'metadata.ttl'],
    ['metadata.priority', REMOVE, 'metadata.priority'],
    ['metadata', REMOVE, 'metadata'],
    ['metadata.extra', 1, 'metadata.extra'],
    ['signature', 'AAAA', 'signature'],
    ['signature', REMOVE, 'signature'],
    ['content', REMOVE, 'content'],
    ['content', { bad: Number.NaN }, 'content'],
    ['extra', true, 'extra'],
  ];
  for (const [path, value, field] of rejections) {
    test(`rejects ${path} = ${typeof value === 'symbol' ? '(removed)' : JSON.stringify(value)?.slice(0, 30)}`, () => {
      assertRejects(Envelope, withField(plain, path, value), field);
    });
  }

  test('rejects both content and enc, naming enc', () => {
    assertRejects(Envelope, { ...sealed, content: 1 }, 'enc', /not both/);
  });

  test('rejects a sealed topic envelope', () => {
    assertRejects(Envelope, { ...topic, content: undefined, enc: sealed.enc }, 'enc', /topic/);
  });

  test('rejects a bad field inside enc', () => {
    assertRejects(Envelope, withField(sealed, 'enc.iv', 'AAAA'), 'enc.iv');
    assertRejects(Envelope, withField(sealed, 'enc.alg', 'A128GCM'), 'enc.alg');
    assertRejects(Envelope, withField(sealed, 'enc.tag', REMOVE), 'enc.tag');
    assertRejects(Envelope, withField(sealed, 'enc.more', 'x'), 'enc.more');
  });

  test(`rejects an envelope over ${MAX_ENVELOPE_BYTES} bytes`, () => {
    assertRejects(Envelope, { ...plain, content: 'x'.repeat(MAX_ENVELOPE_BYTES) }, '(value)', /limit/);
  });

  test('rejects what is not an object', () => {
    assertRejects(Envelope, null, '(value)');
    assertRejects(Envelope, [plain], '(value)');
  });
});

describe('EnvelopeMetadataInput', () => {
  test('fills defaults and checks bounds', () => {
    assert.deepEqual(EnvelopeMetadataInput.parse({}), { priority: 'normal', ttl: 300 });
    assert.deepEqual(EnvelopeMetadataInput.parse({ priority: 'low' }), { priority: 'low', ttl: 300 });
    assertRejects(EnvelopeMetadataInput, { ttl: MAX_TTL_SECONDS + 1 }, 'ttl');
    assertRejects(EnvelopeMetadataInput, { urgent: true }, 'urgent');
  });
});

describe('SealedPayload schema', () => {
  test('accepts a real sealed payload', () => {
    assertAccepts(SealedPayload, sealed.enc);
  });
  for (const [field, bytes] of [
    ['epk', 31],
    ['iv', 16],
    ['tag', 12],
  ] as const) {
    test(`rejects ${field} of ${bytes} bytes`, () => {
      assertRejects(
        SealedPayload,
        withField(sealed.enc, field, Buffer.alloc(bytes).toString('base64url')),
        field,
      );
    });
  }
  test('rejects non-base64url ct', () => {
    assertRejects(SealedPayload, withField(sealed.enc, 'ct', 'a+b/'), 'ct');
  });
});
