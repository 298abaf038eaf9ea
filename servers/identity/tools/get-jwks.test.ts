import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../lib/log.ts';
import { IdentitySettings } from '../../../schemas/identity/settings.ts';
import { createIdentityServices } from '../services.ts';
import { ok, startIdentity } from '../test-support.ts';

test('the JWKS holds the persisted authority key: the same after a restart, no private parts', async (t) => {
  const h = await startIdentity(t);
  const client = await h.connect('anonymous', []);
  const { keys } = await ok<{ keys: Record<string, unknown>[] }>(client, 'get_jwks', {});
  assert.equal(keys.length, 1);
  assert.deepEqual(Object.keys(keys[0] ?? {}).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  assert.equal(keys[0]?.['alg'], 'EdDSA');
  const again = await createIdentityServices({
    store: h.store,
    settings: IdentitySettings.parse({}),
    now: () => 0,
    log: silentLogger,
  });
  assert.deepEqual(again.tokens.jwks().keys, keys);
});
