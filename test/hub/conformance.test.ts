import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { createConformanceComponent } from '../fixtures/conformance-server.ts';
import { regressions, runConformance, summary, type Revision } from '../helpers/conformance.ts';
import { startTestHub, tempDir } from './helpers.ts';

/** The revisions the hub is compared at; the fixture itself passes both (test/fixtures/conformance-server.test.ts). */
const HUB_REVISIONS: Revision[] = ['2025-11-25', '2026-07-28'];

test(
  'the hub passes exactly the conformance checks the fixture passes, at /mcp/<fixture>',
  { timeout: 300_000 },
  async (t) => {
    const fixture = await serveHttp(createConformanceComponent(), { verifyToken: null, log: silentLogger });
    t.after(() => fixture.close());
    const hub = await startTestHub(t, {
      auth: { enabled: false },
      // A run sends a few hundred requests in seconds, all as one caller: rate limiting is not compared here.
      limits: { rateBurst: 100_000, ratePerSecond: 100_000 },
      mcpServers: { fixture: { url: fixture.url } },
    });
    const dir = tempDir(t);

    for (const revision of HUB_REVISIONS) {
      await t.test(revision, async (t) => {
        const direct = await runConformance(fixture.url, revision, path.join(dir, revision, 'direct'));
        const viaHub = await runConformance(
          `${hub.mcpUrl}/fixture`,
          revision,
          path.join(dir, revision, 'hub'),
        );
        t.diagnostic(`direct ${summary(direct)}`);
        t.diagnostic(`via the hub ${summary(viaHub)}`);
        assert.deepEqual([...viaHub.scenarios.keys()].sort(), [...direct.scenarios.keys()].sort());
        assert.deepEqual(regressions(direct, viaHub), [], 'checks the fixture passes and the hub does not');
        assert.deepEqual(regressions(viaHub, direct), [], 'checks the hub passes and the fixture does not');
      });
    }
  },
);
