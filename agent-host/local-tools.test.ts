import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/log.ts';
import { capturingLogger } from '../test/helpers/log-capture.ts';
import { AgentConfig, agentPaths } from './config.ts';
import { defaultServers } from './local-tools.ts';
import { LocalTools } from '../lib/mcp/local-tools.ts';

const HANDSHAKE_ONLY = path.resolve(import.meta.dirname, '../test/fixtures/handshake-only-stdio.ts');

test('local tool servers: 2026-07-28 where they speak it, the 2025 handshake where not, one that exits on the question started again', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-local-tools-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = AgentConfig.parse({});
  const { log, lines } = capturingLogger();
  const tools = new LocalTools(log);
  t.after(() => tools.close());
  await tools.start(
    {
      ...defaultServers(config, agentPaths(dir, config)),
      strict: { command: process.execPath, args: [HANDSHAKE_ONLY], env: {}, disabled: false },
    },
    30_000,
  );
  const protocols = Object.fromEntries(
    lines
      .filter((line) => line.msg === 'local tool server connected')
      .map((line) => [String(line['server']), line['protocol']]),
  );
  assert.deepEqual(protocols, {
    filesystem: '2025-11-25',
    system: '2026-07-28',
    sandbox: '2026-07-28',
    strict: '2025-11-25',
  });
  const echoed = await tools.toolsWith(() => null).call('strict__echo', { text: 'still here' });
  assert.deepEqual(echoed.content, [{ type: 'text', text: 'still here' }]);
  const info = await tools.toolsWith(() => null).call('system__get_system_info', {});
  assert.equal(info.isError, undefined);
});

test('a configured web-search backend is a default tool: SearXNG, and Brave with its key from agent.json', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-local-web-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const asked: { path: string; token: string | undefined }[] = [];
  const backend = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    asked.push({ path: url.pathname, token: req.headers['x-subscription-token'] as string | undefined });
    const q = url.searchParams.get('q') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        url.pathname === '/search'
          ? { results: [{ title: `SearXNG on ${q}`, url: 'https://a.example/', content: 'from searxng' }] }
          : {
              web: {
                results: [{ title: `Brave on ${q}`, url: 'https://b.example/', description: 'from brave' }],
              },
            },
      ),
    );
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => backend.close(() => resolve())));
  const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  assert.equal(
    defaultServers(AgentConfig.parse({}), agentPaths(dir)).web,
    undefined,
    'none without a backend',
  );
  for (const [webSearch, title] of [
    [{ provider: 'searxng', url: base }, 'SearXNG on plexus'],
    [{ provider: 'brave', url: `${base}/brave`, apiKey: 'brave-key-1' }, 'Brave on plexus'],
  ] as const) {
    const config = AgentConfig.parse({ webSearch });
    const web = defaultServers(config, agentPaths(dir, config)).web;
    assert.ok(web);
    const tools = new LocalTools(silentLogger);
    t.after(() => tools.close());
    await tools.start({ web }, 30_000);
    const result = await tools.toolsWith(() => null).call('web__web_search', { query: 'plexus' });
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    const { results } = result.structuredContent as { results: { title: string }[] };
    assert.deepEqual(
      results.map((r) => r.title),
      [title],
    );
    await tools.close();
  }
  assert.deepEqual(asked, [
    { path: '/search', token: undefined },
    { path: '/brave', token: 'brave-key-1' },
  ]);
  assert.throws(() => AgentConfig.parse({ webSearch: { provider: 'searxng' } }), /url/);
});
