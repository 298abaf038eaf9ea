import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { connectClient, modernRequest, startTestHub } from './helpers.ts';

/** A tools/call of the fixture's tool whose `region` argument is declared `x-mcp-header: Region`. */
const call = (name: string, region: string) => ({
  method: 'tools/call',
  params: { name, arguments: { region, level: 3 } },
});

test('Mcp-Param headers: the hub checks them against the tool, and sends a 2026-07-28 upstream the ones it requires', async (t) => {
  const fixture = await serveHttp(createConformanceComponent(), { verifyToken: null, log: silentLogger });
  t.after(() => fixture.close());
  const hub = await startTestHub(t, {
    auth: { enabled: false },
    mcpServers: { fixture: { url: fixture.url } },
  });
  assert.equal(hub.aggregator.mounts.get('fixture')?.upstream.era, 'modern');

  // The upstream itself refuses a call without the header its tool declares: what the hub has to send.
  const bare = await modernRequest(fixture.url, call('test_x_mcp_header', 'eu'));
  assert.deepEqual([bare.status, bare.response.error?.code], [400, -32020]);

  // Clients of both eras call it through the hub; the 2025-era one sends no such header at all.
  for (const era of ['legacy', 'modern'] as const) {
    const client = await connectClient(t, hub.mcpUrl, { era });
    const result = await client.callTool(call('fixture__test_x_mcp_header', 'eu').params);
    assert.deepEqual(result.content, [{ type: 'text', text: 'region=eu' }], era);
  }

  // A 2026-07-28 request whose header is missing or disagrees with its arguments is refused by the hub
  // itself (it would otherwise send the upstream the right one), on /mcp and on /mcp/<server>.
  for (const [path, name] of [
    ['', 'fixture__test_x_mcp_header'],
    ['/fixture', 'test_x_mcp_header'],
  ] as const) {
    const url = `${hub.mcpUrl}${path}`;
    const missing = await modernRequest(url, call(name, 'eu'));
    assert.deepEqual([missing.status, missing.response.error?.code], [400, -32020], `${url} missing`);
    const wrong = await modernRequest(url, call(name, 'eu'), { headers: { 'Mcp-Param-Region': 'us' } });
    assert.deepEqual([wrong.status, wrong.response.error?.code], [400, -32020], `${url} mismatch`);
    const right = await modernRequest(url, call(name, 'eu'), { headers: { 'Mcp-Param-Region': 'eu' } });
    assert.deepEqual(right.response.result?.['content'], [{ type: 'text', text: 'region=eu' }], url);
  }
});
