// The typed identity client (lib/clients/identity.ts) against the real identity server in this process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClientAssertion } from '../../lib/auth/client-assertion.ts';
import { ToolError } from '../../lib/clients/errors.ts';
import { identityClient } from '../../lib/clients/identity.ts';
import { connectInProcess } from '../../lib/mcp/in-process.ts';
import { buildServer } from './server.ts';
import { T0, cardFor, newAgent, revocationFor, startIdentity } from './test-support.ts';

const ENDPOINT = 'https://hub.example/oauth/token';

test('every identity tool other parts call answers through the typed client, parsed', async (t) => {
  const h = await startIdentity(t, { tokenEndpoints: [ENDPOINT] });
  const writer = identityClient(await h.connect('operator:test', ['write']));
  const admin = identityClient(await h.connect('service:registry', ['admin']));
  const agent = newAgent();
  const card = cardFor(agent, { name: 'Ada' });

  const registered = await writer.registerIdentity({ card });
  assert.deepEqual([registered.did, registered.created, registered.card.name], [agent.did, true, 'Ada']);
  const resolved = await writer.resolveDid({ did: agent.did });
  assert.deepEqual([resolved.key, resolved.revoked], [agent.did.slice('did:key:'.length), false]);

  assert.deepEqual(
    await admin.reportOutcome({ subject: agent.did, source: 'task', positive: true, reference: 'task-1' }),
    { recorded: true, duplicate: false },
  );
  const trust = await admin.getTrust({ did: agent.did });
  assert.deepEqual([trust.did, trust.outcomes.task.positive], [agent.did, 1]);

  const anonymous = await connectInProcess(buildServer(h.deps));
  t.after(() => anonymous.close());
  const token = await identityClient(anonymous).issueAccessToken({
    assertion: await createClientAssertion({
      did: agent.did,
      secretKey: agent.signing.secretKey,
      audience: ENDPOINT,
      now: h.clock.now,
    }),
  });
  assert.deepEqual([token.token_type, token.scope], ['Bearer', 'read write']);
  const jwks = await identityClient(anonymous).getJwks({});
  assert.ok(jwks.keys.length > 0 && jwks.keys.every((k) => k.kty === 'OKP'));
  const operator = await admin.createOperatorToken({ name: 'ann', scopes: ['read'], ttl_seconds: 3600 });
  assert.equal(operator.subject, 'operator:ann');
  const delegated = await admin.issueDelegatedToken({
    subject: agent.did,
    scope: 'read',
    audience: 'https://hub.example/mcp',
    client_id: 'https://app.example/client.json',
  });
  assert.deepEqual([delegated.token_type, delegated.scope], ['Bearer', 'read']);

  const revoked = await writer.revokeIdentity({
    statement: revocationFor(agent.did, registered.log_head, agent.signing.secretKey),
  });
  assert.deepEqual([revoked.revoked, revoked.revoked_at], [true, T0]);
  assert.equal((await writer.resolveDid({ did: agent.did })).revoked, true);
  const refused = await admin
    .issueDelegatedToken({ subject: agent.did, scope: 'read', audience: ENDPOINT, client_id: 'c' })
    .catch((e: unknown) => e);
  assert.ok(refused instanceof ToolError, String(refused));
  assert.equal(refused.code, 'identity_revoked');
});

test('identity’s refusals arrive with their code, kind and field', async (t) => {
  const h = await startIdentity(t);
  const writer = identityClient(await h.connect('operator:test', ['write']));
  const unknown = await writer.resolveDid({ did: newAgent().did }).catch((e: unknown) => e);
  assert.ok(unknown instanceof ToolError, String(unknown));
  assert.deepEqual([unknown.kind, unknown.code, unknown.tool], ['not_found', 'did_not_found', 'resolve_did']);

  const denied = await writer
    .createOperatorToken({ name: 'ann', scopes: ['read'], ttl_seconds: 3600 })
    .catch((e: unknown) => e);
  assert.ok(denied instanceof ToolError);
  assert.deepEqual([denied.kind, denied.code], ['forbidden', 'insufficient_scope']);

  const agent = newAgent();
  const forged = await writer
    .registerIdentity({ card: cardFor(agent, {}, newAgent().signing.secretKey) })
    .catch((e: unknown) => e);
  assert.ok(forged instanceof ToolError);
  assert.equal(forged.code, 'card_signature_invalid');

  const malformed = await writer.resolveDid({ did: 'did:web:example.com' }).catch((e: unknown) => e);
  assert.ok(malformed instanceof ToolError);
  assert.deepEqual([malformed.kind, malformed.code, malformed.field], ['invalid', 'invalid_params', 'did']);
});
