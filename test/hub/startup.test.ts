import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { launch, stop, type Proc } from '../helpers/plexus-process.ts';
import { childrenOf, stillRunning } from '../helpers/processes.ts';
import { lateFixtureEntry, muteEntry, startTestHub, stdioFixtureEntry, tempDir } from './helpers.ts';

interface ReadyBody {
  status: string;
  upstreams: Record<string, { state: string; kind: string; error?: string }>;
}

async function readyz(url: string): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

/**
 * A client and a promise for its standalone SSE stream being open: list_changed outside any call arrives
 * there, so a test must not make the change before.
 */
async function connectListening(
  t: TestContext,
  url: string,
): Promise<{ client: Client; listening: Promise<void> }> {
  const { promise: listening, resolve } = Promise.withResolvers<void>();
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'GET' && response.ok) resolve();
      return response;
    },
  });
  const client = new Client({ name: 'startup-test', version: '1.0.0' });
  t.after(() => client.close());
  await client.connect(transport);
  return { client, listening };
}

/** `plexus hub` in `dir` with `config` as its plexus.json, killed after the test if still running. */
function launchHub(
  t: TestContext,
  dir: string,
  config: Record<string, unknown> | string,
  args: string[] = [],
  env: Record<string, string> = {},
): Proc {
  fs.writeFileSync(
    path.join(dir, 'plexus.json'),
    typeof config === 'string' ? config : JSON.stringify(config),
  );
  const hub = launch(['hub', ...args], { PLEXUS_PORT: '0', PLEXUS_LOG_LEVEL: 'info', ...env }, dir);
  t.after(() => {
    if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
  });
  return hub;
}

/** The base URL from the line the hub prints as soon as it listens. */
async function startingUrl(hub: Proc): Promise<string> {
  const line = await hub.waitFor(/Plexus hub starting at/);
  const url = /starting at (http:\/\/[\d.]+:\d+)/.exec(line)?.[1];
  assert.ok(url, line);
  return url;
}

/** A stdio child that never answers, with a start timeout far beyond the test: the hub is still starting. */
const MUTE_CONFIG = { pool: { startTimeoutSeconds: 3600 }, mcpServers: { mute: muteEntry() } };

/** The first stdio child the hub logs as started. */
async function firstChild(hub: Proc): Promise<{ upstream: string; pid: number }> {
  return JSON.parse(await hub.waitForStderr(/"msg":"stdio child started"/)) as {
    upstream: string;
    pid: number;
  };
}

/** The stdio children the hub logged as started. */
function startedChildren(hub: Proc): { upstream: string; pid: number }[] {
  return hub.errLines
    .filter((line) => line.includes('"msg":"stdio child started"'))
    .map((line) => JSON.parse(line) as { upstream: string; pid: number });
}

test(
  'a stdio upstream that never answers delays neither /healthz nor a clean SIGTERM while the hub starts',
  { timeout: 120_000 },
  async (t) => {
    const hub = launchHub(t, tempDir(t), MUTE_CONFIG);
    const url = await startingUrl(hub);
    const started = await firstChild(hub);
    assert.equal(started.upstream, 'mute');

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await readyz(url);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'starting');
    assert.deepEqual(ready.body.upstreams['mute'], { state: 'starting', kind: 'stdio' });
    assert.equal(ready.body.upstreams['identity']?.kind, 'in-process');
    const mcp = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(mcp.status, 503);
    assert.equal(mcp.headers.get('retry-after'), '1');
    const refusal = (await mcp.json()) as { error: { code: number; message: string } };
    assert.equal(refusal.error.code, -32000);
    assert.match(refusal.error.message, /starting/);

    assert.ok(childrenOf(hub.child.pid as number).includes(started.pid), 'the mute child runs');
    hub.child.kill('SIGTERM');
    assert.equal(await hub.exited, 0);
    assert.deepEqual(stillRunning([started.pid]), [], 'the mute child is gone');
  },
);

test(
  'a second signal while stopping exits at once and still leaves no stdio child',
  { timeout: 120_000 },
  async (t) => {
    const hub = launchHub(t, tempDir(t), MUTE_CONFIG, ['--no-auth']);
    const started = await firstChild(hub);
    hub.child.kill('SIGTERM');
    // Signals of one kind sent close together may merge: the second goes once the first was taken.
    await hub.waitForStderr(/"msg":"stopping hub"/);
    hub.child.kill('SIGTERM');
    const code = await hub.exited;
    // 1 when the second signal cut the shutdown short (the usual case: the mute child takes seconds to stop).
    assert.ok(code === 1 || code === 0, `exit code ${code}`);
    assert.deepEqual(stillRunning([started.pid]), [], 'the mute child is gone');
  },
);

test(
  'a start-up error after stdio children were spawned leaves none of them running',
  { timeout: 120_000 },
  async (t) => {
    // Two fixtures with one URI scheme: their resources collide, which the start-up check refuses.
    const config = { mcpServers: { one: stdioFixtureEntry('same'), two: stdioFixtureEntry('same') } };
    const hub = launchHub(t, tempDir(t), config, ['--no-auth']);
    assert.equal(await hub.exited, 1);
    assert.match(hub.errLines.join('\n'), /conflicting names in the mounted servers/);
    const pids = startedChildren(hub).map((c) => c.pid);
    assert.equal(pids.length, 2, hub.errLines.join('\n'));
    assert.deepEqual(stillRunning(pids), []);
  },
);

test(
  'a slow stdio upstream is down meanwhile; its tools appear with list_changed when it answers, and a late conflict leaves only its entry out',
  { timeout: 120_000 },
  async (t) => {
    const dir = tempDir(t);
    const goFile = path.join(dir, 'go');
    // Both list `same://` resources: `late` comes up after `early` is serving, so its copies are left out.
    const hub = await startTestHub(t, {
      auth: { enabled: false },
      pool: { startTimeoutSeconds: 5, backoffInitialMs: 50, backoffMaxMs: 500 },
      mcpServers: { early: stdioFixtureEntry('same'), late: lateFixtureEntry(goFile, 'same') },
    });
    // On a busy machine `early` may miss the start timeout too: it is retried with backoff until it is up.
    let before = await readyz(hub.url);
    while (before.body.upstreams['early']?.state !== 'ready') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      before = await readyz(hub.url);
    }
    assert.equal(before.status, 503);
    assert.equal(before.body.status, 'degraded');
    assert.equal(before.body.upstreams['early']?.state, 'ready');
    assert.equal(before.body.upstreams['late']?.state, 'down');
    assert.match(before.body.upstreams['late']?.error ?? '', /no answer within 5 s of starting/);

    const { client, listening } = await connectListening(t, hub.mcpUrl);
    const names = async () => (await client.listTools()).tools.map((tool) => tool.name);
    const first = await names();
    assert.ok(first.includes('early__whoami'));
    assert.ok(!first.some((name) => name.startsWith('late__')));

    const changed = new Promise<void>((resolve) => {
      client.setNotificationHandler('notifications/tools/list_changed', () => resolve());
    });
    await listening;
    fs.writeFileSync(goFile, '');
    await changed;

    assert.ok((await names()).includes('late__whoami'));
    const who = await client.callTool({ name: 'late__whoami', arguments: {} });
    assert.ok(hub.childPids().includes((who.structuredContent as { pid: number }).pid));
    const after = await readyz(hub.url);
    assert.equal(after.status, 200);
    assert.equal(after.body.status, 'ready');

    // The conflicting resources stay early's: listed once, read from early.
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    assert.equal(uris.filter((uri) => uri === 'same://static-text').length, 1);
    const read = await client.readResource({ uri: 'same://static-text' });
    assert.deepEqual(read.contents[0], {
      uri: 'same://static-text',
      mimeType: 'text/plain',
      text: 'This is the content of the static text resource.',
    });
  },
);

test(
  'unreachable entries are only marked down: the hub starts and serves the rest',
  { timeout: 180_000 },
  async (t) => {
    const dir = tempDir(t);
    const sample = {
      servers: {
        memory: { url: 'http://10.0.0.5:7431/mcp', headers: { Authorization: 'Bearer x' } },
        system: { enabled: true },
      },
      mcpServers: {
        files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/share'] },
        search: { url: 'https://mcp.example/mcp' },
      },
      pool: { startTimeoutSeconds: 30 },
    };
    // npx only from its (empty) cache: no registry is asked, the `files` entry fails at once instead.
    fs.writeFileSync(path.join(dir, '.npmrc'), 'offline=true\n');
    const hub = launchHub(t, dir, sample, [], { HOME: dir });
    const url = await startingUrl(hub);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);

    await hub.waitFor(/Plexus hub listening on/);
    const { status, body } = await readyz(url);
    assert.equal(status, 503);
    assert.equal(body.status, 'degraded');
    for (const name of ['identity', 'router', 'registry', 'llm', 'system']) {
      assert.equal(body.upstreams[name]?.state, 'ready', name);
    }
    for (const name of ['memory', 'search']) {
      assert.equal(body.upstreams[name]?.state, 'down', name);
      assert.ok(body.upstreams[name]?.error, `${name} says why`);
    }

    const children = childrenOf(hub.child.pid as number);
    await stop(hub);
    assert.equal(await hub.exited, 0);
    assert.deepEqual(stillRunning([...children, ...startedChildren(hub).map((c) => c.pid)]), []);
  },
);
