import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAccessToken, type Jwks } from '../../../lib/auth/access-token.ts';
import { createClientAssertion } from '../../../lib/auth/client-assertion.ts';
import { cardFor, failure, newAgent, ok, revocationFor, startIdentity } from '../test-support.ts';

const RESOURCE = 'https://hub.example/mcp';
const CLIENT = 'https://app.example/client.json';

test('the hub gets resource-bound tokens for a DID it vouches for; nobody else does, and never for a revoked DID', async (t) => {
  const h = await startIdentity(t);
  const hub = await h.connect('service:hub', ['read', 'write', 'admin']);
  const person = newAgent();
  const issued = await ok<{ access_token: string; scope: string; expires_in: number }>(
    hub,
    'issue_delegated_token',
    { subject: person.did, scope: 'read write admin', audience: RESOURCE, client_id: CLIENT, grant_id: 'g1' },
  );
  assert.equal(issued.scope, 'read write admin');
  const jwks = await ok<Jwks>(hub, 'get_jwks', {});
  const claims = await verifyAccessToken(issued.access_token, {
    keys: jwks,
    issuer: 'urn:plexus:identity',
    audience: RESOURCE,
    now: h.clock.now,
  });
  assert.deepEqual(
    [claims.subject, claims.audience, claims.clientId, claims.grantId],
    [person.did, [RESOURCE], CLIENT, 'g1'],
  );

  // Bad requests name the problem: an unknown scope, an audience that is no URL; only an admin (the hub) vouches.
  const request = { subject: person.did, scope: 'read', audience: RESOURCE, client_id: CLIENT };
  assert.equal(
    await failure(hub, 'issue_delegated_token', { ...request, scope: 'read root' }),
    'invalid_scope',
  );
  assert.equal(
    await failure(hub, 'issue_delegated_token', { ...request, audience: 'somewhere' }),
    'invalid_target',
  );
  const agent = await h.connect('did:key:z6MkAgent', ['read', 'write']);
  assert.equal(await failure(agent, 'issue_delegated_token', request), 'insufficient_scope');

  // A revoked person gets nothing.
  const writer = await h.connect('operator:test', ['write']);
  const { log_head } = await ok<{ log_head: { seq: number; hash: string } }>(writer, 'register_identity', {
    card: cardFor(person),
  });
  await ok(writer, 'revoke_identity', {
    statement: revocationFor(person.did, log_head, person.signing.secretKey),
  });
  assert.equal(await failure(hub, 'issue_delegated_token', request), 'identity_revoked');
});

test('an agent token may be bound to a resource URL only when the hub asks for it', async (t) => {
  const h = await startIdentity(t, { tokenEndpoints: ['https://hub.example'] });
  const agent = newAgent();
  const assertion = () =>
    createClientAssertion({
      did: agent.did,
      secretKey: agent.signing.secretKey,
      audience: 'https://hub.example',
      now: h.clock.now,
    });
  const hub = await h.connect('service:hub', ['read', 'write', 'admin']);
  const bound = await ok<{ access_token: string }>(hub, 'issue_access_token', {
    assertion: await assertion(),
    audience: RESOURCE,
  });
  const claims = await verifyAccessToken(bound.access_token, {
    keys: await ok<Jwks>(hub, 'get_jwks', {}),
    issuer: 'urn:plexus:identity',
    audience: RESOURCE,
    now: h.clock.now,
  });
  assert.deepEqual([claims.audience, claims.clientId], [[RESOURCE], agent.did]);
  const anonymous = await h.connect('anonymous', []);
  assert.equal(
    await failure(anonymous, 'issue_access_token', { assertion: await assertion(), audience: RESOURCE }),
    'invalid_target',
  );
});
