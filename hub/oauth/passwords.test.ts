import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexusError } from '../../lib/errors.ts';
import { checkPassword, decoyHash, hashPassword, verifyPassword } from './passwords.ts';

test('passwords hash with scrypt at stored parameters and verify only with the same password', async () => {
  const stored = await hashPassword('correct horse battery');
  assert.match(stored, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(await hashPassword('correct horse battery'), stored, 'salted');
  assert.equal(await verifyPassword('correct horse battery', stored), true);
  assert.equal(await verifyPassword('correct horse batterY', stored), false);
  assert.equal(await verifyPassword('correct horse battery', 'plain-text'), false);
  // The same password in another Unicode form is the same password.
  const composed = await hashPassword('caf\u00e9 au lait');
  assert.equal(await verifyPassword('cafe\u0301 au lait', composed), true);
  assert.equal(await verifyPassword('anything at all', await decoyHash()), false);
});

test('too short or absurdly long passwords are refused naming the field', () => {
  const refused = (password: string) =>
    assert.throws(
      () => checkPassword(password, '--password-stdin'),
      (error: unknown) => error instanceof PlexusError && error.field === '--password-stdin',
    );
  refused('short');
  refused('x'.repeat(1025));
  checkPassword('long enough');
});
