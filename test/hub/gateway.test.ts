import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { createClientAssertion, CLIENT_ASSERTION_TYPE } from '../../lib/auth/client-assertion.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { connectClient, fixtureFactory, requestAgentToken, startTestHub } from './helpers.ts';

const json = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

test('gateway: operator token on first start, 401 with RFC 9728 metadata, agent tokens, 403 insufficient scope', async (t) => {
  const hub = await startTestHub(t, {}, { components: { fix: fixtureFactory }, catalogDefaults: true });
  assert.ok(hub.operatorToken, 'the first start creates an operator token');
  assert.equal(hub.operatorTokenCreated, true);
  assert.equal(fs.statSync(hub.operatorTokenFile as string).mode & 0o777, 0o600);
  assert.equal(fs.readFileSync(hub.operatorTokenFile as string, 'utf8').trim(), hub.operatorToken);

  // No token: 401 pointing at the protected-resource metadata.
  const bare = await fetch(hub.mcpUrl, { method: 'POST', headers: json, body: initialize });
  assert.equal(bare.status, 401);
  const challenge = bare.headers.get('www-authenticate') ?? '';
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  assert.equal(metadataUrl, `${hub.url}/.well-known/oauth-protected-resource/mcp`);
  const metadata = (await (await fetch(metadataUrl)).json()) as {
    resource: string;
    authorization_servers: string[];
  };
  assert.equal(metadata.resource, hub.mcpUrl);
  assert.deepEqual(metadata.authorization_servers, [hub.url]);
  const as = (await (await fetch(`${hub.url}/.well-known/oauth-authorization-server`)).json()) as Record<
    string,
    unknown
  >;
  assert.equal(as['token_endpoint'], `${hub.url}/oauth/token`);
  assert.ok((as['token_endpoint_auth_methods_supported'] as string[]).includes('private_key_jwt'));
  const jwks = (await (await fetch(`${hub.url}/oauth/jwks.json`)).json()) as { keys: { kty: string }[] };
  assert.equal(jwks.keys[0]?.kty, 'OKP');

  // A forged token: 401 invalid_token.
  const forged = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: { ...json, Authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA' },
    body: initialize,
  });
  assert.equal(forged.status, 401);
  assert.match(forged.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

  // The operator sees every mounted server.
  const operator = await connectClient(t, hub.mcpUrl, { token: hub.operatorToken });
  const names = (await operator.listTools()).tools.map((tool) => tool.name);
  for (const server of ['identity', 'router', 'registry', 'memory', 'llm', 'fix']) {
    assert.ok(
      names.some((n) => n.startsWith(`${server}__`)),
      `tools of ${server} are listed`,
    );
  }
  const who = await operator.callTool({ name: 'fix__whoami', arguments: {} });
  assert.deepEqual(who.structuredContent, {
    subject: 'operator:operator',
    scopes: ['read', 'write', 'admin'],
    pid: process.pid,
  });

  // An agent: private_key_jwt at /oauth/token, then the tools see its DID.
  const agent = generateIdentityKeys();
  const tokenResponse = await requestAgentToken(hub.url, agent, 'read');
  assert.equal(tokenResponse.status, 200, await tokenResponse.clone().text());
  const issued = (await tokenResponse.json()) as { access_token: string; token_type: string; scope: string };
  assert.equal(issued.token_type, 'Bearer');
  assert.equal(issued.scope, 'read');
  const agentClient = await connectClient(t, hub.mcpUrl, { token: issued.access_token });
  const agentWho = await agentClient.callTool({ name: 'fix__whoami', arguments: {} });
  assert.deepEqual(agentWho.structuredContent, { subject: agent.did, scopes: ['read'], pid: process.pid });

  // A wrong grant or a bad assertion: OAuth errors.
  const badGrant = await fetch(`${hub.url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password' }),
  });
  assert.equal(badGrant.status, 400);
  assert.equal(((await badGrant.json()) as { error: string }).error, 'unsupported_grant_type');
  const intruder = generateIdentityKeys();
  const badAssertion = await fetch(`${hub.url}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await createClientAssertion({
        did: agent.did,
        secretKey: intruder.signing.secretKey,
        audience: `${hub.url}/oauth/token`,
      }),
    }),
  });
  assert.equal(badAssertion.status, 401, await badAssertion.clone().text());
  assert.equal(((await badAssertion.json()) as { error: string }).error, 'invalid_client');

  // A read-only token calling a write tool: 403 at the gateway, naming the scope.
  const sessionId = agentClient.transport && (agentClient.transport as { sessionId?: string }).sessionId;
  const refused = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: {
      ...json,
      Authorization: `Bearer ${issued.access_token}`,
      'Mcp-Session-Id': sessionId ?? '',
      'Mcp-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'fix__update_watched', arguments: { content: 'x' } },
    }),
  });
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="write"/);
  const body = (await refused.json()) as { id: number; error: { data: { scope: string } } };
  assert.equal(body.id, 7);
  assert.equal(body.error.data.scope, 'write');
  // The SDK client sees the same refusal as an error.
  await assert.rejects(agentClient.callTool({ name: 'fix__admin_only', arguments: {} }));
});

test('gateway: per-identity rate limit answers 429 with Retry-After', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { rateBurst: 3, ratePerSecond: 0.05 } },
    { components: { fix: fixtureFactory } },
  );
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 5; i++) {
    const response = await fetch(hub.mcpUrl, { method: 'POST', headers: json, body: initialize });
    statuses.push(response.status);
    if (response.status === 429) retryAfter = response.headers.get('retry-after');
    await response.body?.cancel();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  assert.equal(retryAfter, '20');
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  assert.match(metrics, /plexus_rate_limit_hits_total 2/);
});

test('gateway: a DNS-rebinding Host or foreign Origin is refused; oversized bodies get 413', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { bodyBytes: 2048 } },
    { components: { fix: fixtureFactory } },
  );
  const { port } = new URL(hub.url);
  // fetch() cannot set Host; a raw request can, as a rebinding browser would.
  const rebinding = await new Promise<number>((resolve, reject) => {
    const request = http.request(
      hub.mcpUrl,
      { method: 'POST', headers: { ...json, Host: `evil.example:${port}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(initialize);
  });
  assert.equal(rebinding, 403);
  const foreignOrigin = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: { ...json, Origin: 'http://evil.example' },
    body: initialize,
  });
  assert.equal(foreignOrigin.status, 403);
  const localOrigin = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: { ...json, Origin: `http://localhost:${port}` },
    body: initialize,
  });
  assert.equal(localOrigin.status, 200);
  await localOrigin.body?.cancel();
  const big = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ pad: 'x'.repeat(4096) }),
  });
  assert.equal(big.status, 413);
  const health = await fetch(`${hub.url}/healthz`);
  assert.equal(health.status, 200);
  const ready = (await (await fetch(`${hub.url}/readyz`)).json()) as {
    status: string;
    upstreams: Record<string, { state: string }>;
  };
  assert.deepEqual(ready, { status: 'ready', upstreams: { fix: { state: 'ready', kind: 'in-process' } } });
});
