import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failure, ok, startIdentity } from '../test-support.ts';

test('operator tokens: admin only, bounded lifetime, verifiable with the authority keys', async (t) => {
  const h = await startIdentity(t, { operatorTokenMaxTtlSeconds: 86_400 });
  const admin = await h.connect('operator:root', ['admin']);
  const writer = await h.connect('operator:dev', ['write']);
  const args = { name: 'ann', scopes: ['read', 'admin'], ttl_seconds: 3600 };
  assert.equal(await failure(writer, 'create_operator_token', args), 'insufficient_scope');
  assert.equal(
    await failure(admin, 'create_operator_token', { ...args, ttl_seconds: 90_000 }),
    'invalid:ttl_seconds',
  );
  const made = await ok<{ token: string; subject: string; expires_at: number }>(
    admin,
    'create_operator_token',
    args,
  );
  assert.equal(made.subject, 'operator:ann');
  assert.equal(made.expires_at, Math.floor(h.clock.now / 1000) * 1000 + 3600_000);
  const seen = await ok<{ active: boolean; subject: string; scopes: string[] }>(
    admin,
    'verify_access_token',
    { token: made.token },
  );
  assert.deepEqual([seen.active, seen.subject, seen.scopes], [true, 'operator:ann', ['read', 'admin']]);
});
