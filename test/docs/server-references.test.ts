import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { connectInProcess, authInfoFor } from '../../lib/mcp/in-process.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { SERVER_CATALOG } from '../../servers/catalog.ts';
import { ROOT } from './markdown.ts';

/**
 * Each server's reference page, docs/servers/<name>.md, names every tool the server really registers: the
 * servers are started (tools that appear only when configured are configured) and their tools/list compared
 * with the page.
 */
const SETTINGS: Record<string, unknown> = {
  system: { commands: [{ name: 'echo', path: '/bin/echo' }] },
  web: { search: { provider: 'searxng', url: 'http://127.0.0.1:9' } },
  automation: {},
};

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-server-docs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function toolNames(t: TestContext, name: string): Promise<string[]> {
  const dataDir = tempDir(t);
  const entry = SERVER_CATALOG[name];
  assert.ok(entry, name);
  const { component } = await entry.load();
  let servers;
  if (entry.core) {
    // A core server talks to its siblings at start: compose them all, as the hub does.
    const factories: Record<string, ComponentFactory> = {};
    for (const [other, e] of Object.entries(SERVER_CATALOG))
      if (e.core) factories[other] = (await e.load()).component;
    const composition = await composeInProcess(factories, { dataDir, log: silentLogger });
    t.after(() => composition.close());
    servers = composition.components.get(name as never);
  } else {
    const tools = path.join(dataDir, 'tools');
    fs.mkdirSync(tools);
    servers = await component({
      dataDir,
      log: silentLogger,
      now: Date.now,
      settings: name === 'sandbox' ? { toolsDir: tools, workers: 1, watch: false } : SETTINGS[name],
      connect: () => Promise.reject(new Error('no siblings here')),
    });
    const started = servers;
    t.after(() => started.close());
  }
  assert.ok(servers, name);
  const client = await connectInProcess(servers.createServer(), {
    authInfo: authInfoFor('operator:docs', ['read', 'write', 'admin']),
  });
  t.after(() => client.close());
  return (await client.listTools()).tools.map((tool) => tool.name);
}

for (const name of Object.keys(SERVER_CATALOG)) {
  test(`docs/servers/${name}.md names every tool ${name} registers`, { timeout: 120_000 }, async (t) => {
    const page = fs.readFileSync(path.join(ROOT, 'docs', 'servers', `${name}.md`), 'utf8');
    const tools = await toolNames(t, name);
    assert.ok(tools.length > 0, `${name} registers tools`);
    const missing = tools.filter((tool) => !new RegExp(`\`${tool}\\b`).test(page));
    assert.deepEqual(missing, [], `tools of ${name} missing from its page`);
  });
}
