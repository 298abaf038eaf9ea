import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, fixtureFactory, startTestHub } from './helpers.ts';

const json = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

function initialize(id: number) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
}

test('gateway: a batch takes one rate-limit token per JSON-RPC message, so it cannot exceed the limit', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { rateBurst: 10, ratePerSecond: 0.01 } },
    { components: { fix: fixtureFactory } },
  );
  const batch = Array.from({ length: 60 }, (_, i) => initialize(i + 1));
  const refused = await fetch(hub.mcpUrl, { method: 'POST', headers: json, body: JSON.stringify(batch) });
  assert.equal(refused.status, 429);
  assert.match(await refused.text(), /rate limit exceeded/);
  const fits = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(Array.from({ length: 10 }, (_, i) => initialize(i + 1))),
  });
  assert.notEqual(fits.status, 429, 'a batch within the burst is served');
  await fits.body?.cancel();
  const next = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(initialize(99)),
  });
  assert.equal(next.status, 429, 'the batch used the bucket up');
});

test('gateway: one identity cannot take the session table; the rest are still served', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { maxSessionsPerIdentity: 3, maxSessions: 100 } },
    { components: { fix: fixtureFactory } },
  );
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await fetch(hub.mcpUrl, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(initialize(1)),
    });
    statuses.push(response.status);
    await response.body?.cancel();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  // Stateless 2026-07-28 requests need no session and are still served to the same identity.
  const modern = await connectClient(t, hub.mcpUrl, { era: 'modern' });
  assert.ok((await modern.listTools()).tools.length > 0);
});

test('gateway: deeply nested arguments are refused naming the limit, and the hub stays up', async (t) => {
  const hub = await startTestHub(
    t,
    { auth: { enabled: false }, limits: { maxJsonDepth: 16 } },
    { components: { fix: fixtureFactory } },
  );
  const client = await connectClient(t, hub.mcpUrl);
  const nested = (levels: number) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  await assert.rejects(
    client.callTool({ name: 'fix__test_simple_text', arguments: { nested: nested(40) } }),
    /nests deeper than 16 levels \(the hub's limits\.maxJsonDepth\)/,
  );
  // Far deeper than any validator recurses: refused as a bad request, never a stack overflow.
  const deep = `${'{"a":'.repeat(100_000)}"leaf"${'}'.repeat(100_000)}`;
  const body = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fix__test_simple_text","arguments":{"nested":${deep}}}}`;
  const raw = await fetch(hub.mcpUrl, { method: 'POST', headers: json, body });
  assert.equal(raw.status, 400);
  assert.doesNotMatch(await raw.text(), /Maximum call stack/);
  const fine = await client.callTool({ name: 'fix__test_simple_text', arguments: {} });
  assert.equal(fine.isError, undefined);
});

test('gateway: /metrics needs an admin token on the hub port, and is open on its own loopback listener', async (t) => {
  const hub = await startTestHub(t, { metrics: { port: 0 } }, { catalogDefaults: true });
  assert.equal((await fetch(`${hub.url}/metrics`)).status, 401);
  const withToken = await fetch(`${hub.url}/metrics`, {
    headers: { Authorization: `Bearer ${hub.operatorToken ?? ''}` },
  });
  assert.equal(withToken.status, 200);
  assert.match(await withToken.text(), /plexus_http_requests_total/);
  assert.ok(hub.metricsUrl);
  const scraped = await fetch(hub.metricsUrl);
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /plexus_http_requests_total/);
});
