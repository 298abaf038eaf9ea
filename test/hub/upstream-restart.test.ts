import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import { processRuns } from '../../lib/pid.ts';
import { serveHttp, type HttpServing } from '../../lib/mcp/serve-http.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { freePort } from '../helpers/ports.ts';
import { connectClient, startTestHub, stdioFixtureEntry } from './helpers.ts';

function pidOf(result: Record<string, unknown>): number {
  return (result.structuredContent as { pid: number }).pid;
}

/** Waits until `pid` has exited (signal 0 fails). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (!processRuns(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`process ${pid} is still running`);
}

test(
  'a stdio upstream killed between and during calls is restarted transparently',
  { timeout: 300_000 },
  async (t) => {
    const hub = await startTestHub(t, {
      auth: { enabled: false },
      pool: { backoffInitialMs: 50 },
      mcpServers: { kid: stdioFixtureEntry() },
    });
    const client = await connectClient(t, hub.mcpUrl);
    const first = pidOf(await client.callTool({ name: 'kid__whoami', arguments: {} }));
    assert.deepEqual(hub.childPids(), [first]);

    process.kill(first, 'SIGKILL');
    await gone(first);
    const second = pidOf(await client.callTool({ name: 'kid__whoami', arguments: {} }));
    assert.notEqual(second, first);
    assert.deepEqual(hub.childPids(), [second]);

    // Killed mid-call: a read-only call is sent again once to the restarted child.
    const call = client.callTool({ name: 'kid__slow', arguments: { ms: 300 } });
    setTimeout(() => process.kill(second, 'SIGKILL'), 100);
    assert.deepEqual((await call).content, [{ type: 'text', text: 'done' }]);
    const third = pidOf(await client.callTool({ name: 'kid__whoami', arguments: {} }));
    assert.ok(third !== first && third !== second);

    // A state-changing call cut off mid-way is not replayed: the client is told it may or may not have run.
    const write = client.callTool({ name: 'kid__slow_write', arguments: { ms: 2000 } });
    setTimeout(() => process.kill(third, 'SIGKILL'), 100);
    await assert.rejects(write, /went away during the call; it may or may not have completed/);
    const fourth = pidOf(await client.callTool({ name: 'kid__whoami', arguments: {} }));
    assert.ok(![first, second, third].includes(fourth));
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(metrics, /plexus_upstream_restarts_total\{server="kid"\} 3/);
  },
);

test('a remote upstream restarted on the same URL is re-initialized without the client noticing', async (t) => {
  // Outside the ephemeral range: nothing else takes the port while the fixture is down.
  const port = await freePort();
  let fixture: HttpServing = await serveHttp(createConformanceComponent(), {
    verifyToken: null,
    log: silentLogger,
    port,
  });
  t.after(() => fixture.close());
  const hub = await startTestHub(t, {
    auth: { enabled: false },
    pool: { backoffInitialMs: 50 },
    mcpServers: { remote: { url: fixture.url } },
  });
  const client = await connectClient(t, hub.mcpUrl);
  const before = await client.callTool({ name: 'remote__test_simple_text', arguments: {} });
  assert.equal(before.isError, undefined);

  await fixture.close();
  fixture = await serveHttp(createConformanceComponent(), {
    verifyToken: null,
    log: silentLogger,
    port,
  });
  // The new instance knows none of the hub's sessions; the call still succeeds.
  const after = await client.callTool({ name: 'remote__test_simple_text', arguments: {} });
  assert.deepEqual(after.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
  const single = await connectClient(t, `${hub.mcpUrl}/remote`);
  assert.ok((await single.listTools()).tools.length > 10);
});
