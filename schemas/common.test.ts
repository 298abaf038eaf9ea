import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { PlexusError } from '../lib/errors.ts';
import {
  Base64Url,
  Did,
  JsonValue,
  Signature,
  TimestampMs,
  TopicName,
  TopicRecipient,
  UuidV7,
  X25519Multibase,
  base64UrlBytes,
  formatZodError,
  label,
  parseOrThrow,
} from './common.ts';
import { assertAccepts, assertRejects } from './testing.ts';

const keys = generateIdentityKeys();

describe('common schemas', () => {
  test('Did accepts an Ed25519 did:key only', () => {
    assertAccepts(Did, keys.did);
    assertRejects(Did, 'did:web:example.com', '(value)', /did:key/);
    assertRejects(Did, keys.did.replace('z6Mk', 'z6LS'), '(value)');
    assertRejects(Did, keys.did + 'a', '(value)');
    assertRejects(Did, keys.did.slice(0, -1) + '0', '(value)');
    assertRejects(Did, 42, '(value)');
  });

  test('X25519Multibase accepts z6LS keys only', () => {
    assertAccepts(X25519Multibase, keys.keyAgreementMultibase);
    assertRejects(X25519Multibase, keys.did.slice('did:key:'.length), '(value)');
  });

  test('TopicName and TopicRecipient', () => {
    for (const name of ['news', 'team.alpha/standup', 'a', 'x-1_2', 'a'.repeat(128)]) {
      assertAccepts(TopicName, name);
      assertAccepts(TopicRecipient, `topic:${name}`);
    }
    for (const name of ['', 'News', '-lead', 'trail.', 'sp ace', 'a'.repeat(129), 'a|b']) {
      assert.equal(TopicName.safeParse(name).success, false, name);
      assert.equal(TopicRecipient.safeParse(`topic:${name}`).success, false, name);
    }
    assertRejects(TopicRecipient, 'news', '(value)', /topic:/);
  });

  test('TimestampMs is a non-negative safe integer', () => {
    assertAccepts(TimestampMs, 1_760_000_000_000);
    assertAccepts(TimestampMs, 0);
    assertRejects(TimestampMs, -1, '(value)');
    assertRejects(TimestampMs, 1.5, '(value)');
    assertRejects(TimestampMs, '1760000000000', '(value)');
    assertRejects(TimestampMs, 2 ** 53, '(value)');
  });

  test('Base64Url and fixed-length base64url', () => {
    assertAccepts(Base64Url, 'AQID_-');
    assertRejects(Base64Url, 'AQID+/', '(value)');
    assertRejects(Base64Url, 'AQI=', '(value)');
    const sixteen = base64UrlBytes(16);
    assertAccepts(sixteen, Buffer.alloc(16, 7).toString('base64url'));
    assertRejects(sixteen, Buffer.alloc(15).toString('base64url'), '(value)', /16 bytes/);
    // Same length but not canonical (non-zero padding bits in the last character).
    assertRejects(sixteen, Buffer.alloc(16).toString('base64url').slice(0, -1) + 'B', '(value)', /canonical/);
    assertAccepts(Signature, Buffer.alloc(64, 1).toString('base64url'));
    assertRejects(Signature, Buffer.alloc(63).toString('base64url'), '(value)');
  });

  test('UuidV7 requires version 7 and the RFC variant, lower case', () => {
    assertAccepts(UuidV7, '01890a5d-ac96-774b-bcce-b302099a8057');
    assertRejects(UuidV7, '01890a5d-ac96-474b-bcce-b302099a8057', '(value)');
    assertRejects(UuidV7, '01890a5d-ac96-774b-7cce-b302099a8057', '(value)');
    assertRejects(UuidV7, '01890A5D-AC96-774B-BCCE-B302099A8057', '(value)');
  });

  // z.json() is a union: a bad value anywhere inside is reported on the JSON-valued field itself.
  test('JsonValue refuses what JSON cannot carry', () => {
    assertAccepts(JsonValue, { a: [1, 'x', null, true, { b: 2 }] });
    assertRejects(JsonValue, { a: undefined }, '(value)');
    assertRejects(JsonValue, { a: [1, Number.NaN] }, '(value)');
    assertRejects(JsonValue, () => 1, '(value)');
  });

  test('label refuses control characters and surrounding spaces', () => {
    const name = label(8);
    assertAccepts(name, 'Ana Lüz');
    assertRejects(name, ' Ana', '(value)');
    assertRejects(name, 'Ana\n', '(value)');
    assertRejects(name, 'A\u0000a', '(value)');
    assertRejects(name, '', '(value)');
    assertRejects(name, 'x'.repeat(9), '(value)');
  });
});

describe('error formatting', () => {
  const schema = z.strictObject({ a: z.object({ b: z.array(z.string()) }), c: z.int() });

  test('formatZodError names every path under the root', () => {
    const result = schema.safeParse({ a: { b: ['x', 1] }, c: 'no', d: 1 });
    assert.equal(result.success, false);
    const text = formatZodError(result.error, 'input');
    assert.match(text, /input\.a\.b\.1: /);
    assert.match(text, /input\.c: /);
    assert.match(text, /input\.d: unknown field/);
  });

  test('parseOrThrow throws invalid(field) for the first problem and lists the rest', () => {
    assert.throws(
      () => parseOrThrow(schema, { a: { b: [1] }, c: 1.5 }, 'args'),
      (error: unknown) => {
        assert.ok(error instanceof PlexusError);
        assert.equal(error.kind, 'invalid');
        assert.equal(error.code, 'invalid_input');
        assert.equal(error.field, 'args.a.b.0');
        assert.match(error.message, /^args\.a\.b\.0: .*and 1 more: args\.c: /);
        return true;
      },
    );
  });

  test('parseOrThrow returns the parsed value', () => {
    assert.deepEqual(parseOrThrow(schema, { a: { b: [] }, c: 3 }), { a: { b: [] }, c: 3 });
  });
});
