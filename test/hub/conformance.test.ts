import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { silentLogger } from '../../lib/log.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { startTestHub, tempDir } from './helpers.ts';

const run = promisify(execFile);
const CLI = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/conformance/dist/index.js',
);

type Results = Map<string, Map<string, string>>;

/** Runs every active server scenario against `url`; scenario → check id → status. */
async function conformance(url: string, outDir: string): Promise<Results> {
  // The CLI exits non-zero when a check fails; the per-check results are what we compare.
  await run(process.execPath, [CLI, 'server', '--url', url, '-o', outDir], { timeout: 120_000 }).catch(
    (error: { stdout?: string }) => error,
  );
  const results: Results = new Map();
  for (const dir of fs.readdirSync(outDir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1];
    const file = path.join(outDir, dir, 'checks.json');
    if (!scenario || !fs.existsSync(file)) continue;
    const checks = JSON.parse(fs.readFileSync(file, 'utf8')) as { id: string; status: string }[];
    const byId = new Map<string, string>();
    for (const check of checks) if (check.status !== 'INFO') byId.set(check.id, check.status);
    results.set(scenario, byId);
  }
  return results;
}

test(
  'the hub passes every conformance scenario the fixture passes, at /mcp/<fixture>',
  { timeout: 300_000 },
  async (t) => {
    const fixture = await serveHttp(createConformanceComponent(), { verifyToken: null, log: silentLogger });
    t.after(() => fixture.close());
    const hub = await startTestHub(t, {
      auth: { enabled: false },
      mcpServers: { fixture: { url: fixture.url } },
    });

    const dir = tempDir(t);
    const direct = await conformance(fixture.url, path.join(dir, 'direct'));
    const viaHub = await conformance(`${hub.mcpUrl}/fixture`, path.join(dir, 'hub'));

    assert.ok(direct.size >= 25, `expected the active server scenarios, got ${direct.size}`);
    const fixtureFailures = [...direct].flatMap(([scenario, checks]) =>
      [...checks].filter(([, status]) => status === 'FAILURE').map(([id]) => `${scenario}/${id}`),
    );
    assert.deepEqual(fixtureFailures, [], 'the fixture itself should pass every scenario');
    assert.deepEqual([...viaHub.keys()].sort(), [...direct.keys()].sort());
    const regressions: string[] = [];
    for (const [scenario, checks] of direct) {
      for (const [id, status] of checks) {
        if (status !== 'SUCCESS') continue;
        const hubStatus = viaHub.get(scenario)?.get(id) ?? 'missing';
        if (hubStatus !== 'SUCCESS') regressions.push(`${scenario}/${id}: ${hubStatus}`);
      }
    }
    assert.deepEqual(regressions, []);
  },
);
