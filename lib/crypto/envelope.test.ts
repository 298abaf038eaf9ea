import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlexusError } from '../errors.ts';
import { Envelope, MAX_ENVELOPE_BYTES } from '../../schemas/envelope.ts';
import { UUIDV7_PATTERN } from '../../schemas/common.ts';
import { fromBase64Url, toBase64Url } from './bytes.ts';
import { checkEnvelope, createEnvelope, openEnvelope, signEnvelope, verifyEnvelope } from './envelope.ts';
import { generateIdentityKeys } from './identity-keys.ts';
import { uuidv7Timestamp } from './uuidv7.ts';

const alice = generateIdentityKeys();
const bob = generateIdentityKeys();
const mallory = generateIdentityKeys();
const aliceSigner = { did: alice.did, secretKey: alice.signing.secretKey };
const NOW = 1_760_000_000_000;

function plain(): Envelope {
  return createEnvelope(aliceSigner, {
    type: 'chat/message',
    recipient: bob.did,
    content: { text: 'hello', n: [1, 2.5, null] },
    thread: 'thread-1',
    now: NOW,
  });
}

function sealed(): Envelope {
  return createEnvelope(aliceSigner, {
    type: 'chat/message',
    recipient: bob.did,
    content: { text: 'secret' },
    sealTo: bob.keyAgreementMultibase,
    thread: 'thread-1',
    metadata: { priority: 'high', ttl: 60 },
    now: NOW,
  });
}

function flipFirstChar(text: string): string {
  return (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
}

/** Flips one bit of a base64url field while keeping it the same length and canonical. */
function flipByte(text: string, index = 0): string {
  const bytes = fromBase64Url(text);
  bytes[index]! ^= 0x01;
  return toBase64Url(bytes);
}

function assertPlexusError(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PlexusError, `expected a PlexusError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}

describe('createEnvelope', () => {
  test('fills id, timestamp, expires, nonce and metadata defaults, and signs', () => {
    const env = plain();
    assert.equal(Envelope.safeParse(env).success, true);
    assert.match(env.id, UUIDV7_PATTERN);
    assert.equal(uuidv7Timestamp(env.id), NOW);
    assert.equal(env.timestamp, NOW);
    assert.deepEqual(env.metadata, { priority: 'normal', ttl: 300 });
    assert.equal(env.expires, NOW + 300_000);
    assert.equal(fromBase64Url(env.nonce).length, 16);
    assert.equal(env.sender, alice.did);
    assert.equal(verifyEnvelope(env), true);
    assert.deepEqual(openEnvelope(env, bob.keyAgreement), { text: 'hello', n: [1, 2.5, null] });
    assert.notEqual(plain().nonce, env.nonce);
    assert.notEqual(plain().id, env.id);
  });

  test('seals content for the recipient when sealTo is given', () => {
    const env = sealed();
    assert.equal(env.content, undefined);
    assert.ok(env.enc);
    assert.equal(env.expires, NOW + 60_000);
    assert.equal(env.metadata.priority, 'high');
    assert.equal(JSON.stringify(env).includes('secret'), false);
    assert.equal(verifyEnvelope(env), true);
    assert.deepEqual(openEnvelope(env, bob.keyAgreement), { text: 'secret' });
  });

  test('refuses bad drafts, naming the field', () => {
    const draft = { type: 'chat/message', recipient: bob.did, content: 1, now: NOW };
    assertPlexusError(
      () => createEnvelope(aliceSigner, { ...draft, type: 'Chat' }),
      'invalid_input',
      'envelope.type',
    );
    assertPlexusError(
      () => createEnvelope(aliceSigner, { ...draft, recipient: 'bob' }),
      'invalid_input',
      'envelope.recipient',
    );
    assertPlexusError(
      () => createEnvelope(aliceSigner, { ...draft, metadata: { ttl: 0 } }),
      'invalid_input',
      'metadata.ttl',
    );
    assertPlexusError(
      () =>
        createEnvelope(aliceSigner, { ...draft, recipient: 'topic:news', sealTo: bob.keyAgreementMultibase }),
      'invalid_input',
      'recipient',
    );
    assertPlexusError(
      () => createEnvelope(aliceSigner, { ...draft, content: 'x'.repeat(MAX_ENVELOPE_BYTES) }),
      'invalid_input',
      'envelope',
    );
    assertPlexusError(
      () => createEnvelope({ did: bob.did, secretKey: alice.signing.secretKey }, draft),
      'sender_mismatch',
      'sender',
    );
  });
});

describe('verifyEnvelope detects tampering with every field', () => {
  const replace = (
    env: Envelope,
    change: (copy: Record<string, unknown>) => void,
  ): Record<string, unknown> => {
    const copy = structuredClone(env) as Record<string, unknown>;
    change(copy);
    return copy;
  };
  const other = createEnvelope(aliceSigner, {
    type: 'chat/other',
    recipient: mallory.did,
    content: 2,
    now: NOW + 1,
  });

  const cases: [string, (e: Record<string, unknown>) => void][] = [
    ['id', (e) => (e['id'] = other.id)],
    ['type', (e) => (e['type'] = 'chat/other')],
    ['sender', (e) => (e['sender'] = mallory.did)],
    ['recipient', (e) => (e['recipient'] = mallory.did)],
    ['timestamp', (e) => (e['timestamp'] = NOW + 1)],
    ['expires', (e) => (e['expires'] = NOW + 999_000)],
    ['nonce', (e) => (e['nonce'] = flipFirstChar(e['nonce'] as string))],
    ['thread', (e) => (e['thread'] = 'thread-2')],
    ['thread removed', (e) => delete e['thread']],
    ['metadata.priority', (e) => ((e['metadata'] as Record<string, unknown>)['priority'] = 'urgent')],
    ['metadata.ttl', (e) => ((e['metadata'] as Record<string, unknown>)['ttl'] = 3600)],
    ['field added', (e) => (e['extra'] = true)],
    ['signature', (e) => (e['signature'] = flipByte(e['signature'] as string, 5))],
    ['signature from another key', (e) => (e['signature'] = other.signature)],
  ];

  for (const [name, change] of cases) {
    test(`plaintext: ${name}`, () => assert.equal(verifyEnvelope(replace(plain(), change)), false));
  }
  test('plaintext: content', () => {
    assert.equal(
      verifyEnvelope(replace(plain(), (e) => ((e['content'] as { text: string }).text = 'hellp'))),
      false,
    );
    assert.equal(verifyEnvelope(replace(plain(), (e) => (e['content'] = null))), false);
  });

  for (const [name, change] of cases) {
    test(`sealed: ${name}`, () => assert.equal(verifyEnvelope(replace(sealed(), change)), false));
  }
  for (const field of ['epk', 'iv', 'ct', 'tag'] as const) {
    test(`sealed: enc.${field}`, () => {
      const env = replace(sealed(), (e) => {
        const enc = e['enc'] as Record<string, string>;
        enc[field] = flipByte(enc[field]!);
      });
      assert.equal(verifyEnvelope(env), false);
      assertPlexusError(() => checkEnvelope(env), 'signature_invalid', 'envelope.signature');
    });
  }

  test('a forged envelope re-signed by another key under the real sender is refused', () => {
    const { signature: _s, ...unsigned } = plain();
    const forged = signEnvelope({ ...unsigned, sender: mallory.did }, mallory.signing.secretKey);
    assert.equal(verifyEnvelope({ ...forged, sender: alice.did }), false);
  });

  test('non-envelopes never verify and never throw', () => {
    assert.equal(verifyEnvelope({}), false);
    assert.equal(verifyEnvelope({ sender: 'did:web:example.com', signature: plain().signature }), false);
    assert.equal(verifyEnvelope({ ...plain(), signature: '!!' }), false);
    assert.equal(verifyEnvelope({ ...plain(), signature: 42 }), false);
  });
});

describe('checkEnvelope', () => {
  test('returns a valid, correctly signed envelope', () => {
    const env = sealed();
    assert.deepEqual(checkEnvelope(JSON.parse(JSON.stringify(env))), env);
  });

  test('names the invalid field under the given root', () => {
    assertPlexusError(
      () => checkEnvelope({ ...plain(), nonce: 'short' }, 'envelopes.3'),
      'invalid_input',
      'envelopes.3.nonce',
    );
    assertPlexusError(() => checkEnvelope({ ...plain(), expires: NOW }), 'invalid_input', 'envelope.expires');
    assertPlexusError(() => checkEnvelope('nope'), 'invalid_input', 'envelope');
  });

  test('refuses a bad signature with signature_invalid', () => {
    assertPlexusError(
      () => checkEnvelope({ ...plain(), thread: 'other' }),
      'signature_invalid',
      'envelope.signature',
    );
  });
});

describe('openEnvelope', () => {
  test('only the recipient key opens a sealed envelope', () => {
    const env = sealed();
    assertPlexusError(() => openEnvelope(env, mallory.keyAgreement), 'seal_open_failed', 'enc');
    assertPlexusError(() => openEnvelope(env, alice.keyAgreement), 'seal_open_failed', 'enc');
  });

  test('a sealed payload moved into another envelope cannot be opened', () => {
    const original = sealed();
    const { signature: _s, ...unsigned } = createEnvelope(aliceSigner, {
      type: 'chat/message',
      recipient: bob.did,
      content: 0,
      now: NOW,
    });
    const { content: _c, ...rest } = unsigned;
    const moved = signEnvelope({ ...rest, enc: original.enc! }, alice.signing.secretKey);
    assert.equal(verifyEnvelope(moved), true);
    assertPlexusError(() => openEnvelope(moved, bob.keyAgreement), 'seal_open_failed', 'enc');
  });
});
