import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEnv, parseHubConfig } from '../../hub/config.ts';
import { PlexusError } from '../errors.ts';
import { DELEGATE_SCOPE } from '../mcp/caller.ts';
import {
  isServiceToken,
  SERVICE_SUBJECT,
  serviceHeaders,
  serviceTokenFrom,
  withServiceToken,
} from './service-token.ts';

const SECRET = 'aGVsbG8tcGxleHVzLXNlcnZpY2UtdG9rZW4tMDEyMzQ1Njc4OQ';

test('a weak or malformed service token is refused, naming the variable', () => {
  assert.equal(serviceTokenFrom(undefined), undefined);
  assert.equal(serviceTokenFrom(''), undefined);
  assert.equal(serviceTokenFrom(SECRET), SECRET);
  for (const bad of ['short', `${SECRET} with spaces`]) {
    assert.throws(
      () => serviceTokenFrom(bad),
      (error: unknown) => error instanceof PlexusError && error.field === 'PLEXUS_SERVICE_TOKEN',
    );
  }
});

test('the service token maps to the hub delegate; other tokens go to the next verifier', async () => {
  const seen: string[] = [];
  const verify = withServiceToken(SECRET, (token) => {
    seen.push(token);
    return Promise.reject(new Error('unknown token'));
  });
  const auth = await verify(SECRET);
  assert.equal(auth.clientId, SERVICE_SUBJECT);
  assert.ok(auth.scopes.includes(DELEGATE_SCOPE));
  await assert.rejects(verify(`${SECRET}x`), /unknown token/);
  await assert.rejects(verify(SECRET.slice(0, -1)), /unknown token/);
  assert.deepEqual(seen, [`${SECRET}x`, SECRET.slice(0, -1)]);
  assert.equal(isServiceToken(SECRET, SECRET), true);
  assert.equal(isServiceToken('', SECRET), false);
});

test('without a service token the next verifier decides alone', async () => {
  const verify = withServiceToken(undefined, () => Promise.reject(new Error('unknown token')));
  await assert.rejects(verify(SECRET), /unknown token/);
});

test('headers carry the service token unless an Authorization header is configured', () => {
  assert.deepEqual(serviceHeaders({ 'X-A': '1' }, SECRET), { 'X-A': '1', Authorization: `Bearer ${SECRET}` });
  assert.deepEqual(serviceHeaders({ authorization: 'Bearer own' }, SECRET), { authorization: 'Bearer own' });
  assert.deepEqual(serviceHeaders({}, undefined), {});
});

test('PLEXUS_SERVICE_TOKEN and PLEXUS_<SERVER>_URL configure the hub for remote servers', () => {
  const config = parseHubConfig(
    applyEnv(
      {},
      {
        PLEXUS_SERVICE_TOKEN: SECRET,
        PLEXUS_ROUTER_URL: 'http://router:7401/mcp',
        PLEXUS_IDENTITY_URL: 'http://identity:7400/mcp',
      },
    ),
  );
  assert.equal(config.serviceToken, SECRET);
  assert.equal(config.servers['router']?.url, 'http://router:7401/mcp');
  assert.equal(config.servers['identity']?.url, 'http://identity:7400/mcp');
  assert.throws(
    () => parseHubConfig(applyEnv({}, { PLEXUS_SERVICE_TOKEN: 'short' })),
    (error: unknown) => error instanceof PlexusError && error.field === 'serviceToken',
  );
  assert.throws(
    () => parseHubConfig(applyEnv({}, { PLEXUS_MEMORY_URL: 'not a url' })),
    (error: unknown) => error instanceof PlexusError && error.field === 'servers.memory.url',
  );
});
