import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { problems, runConformance, type ConformanceRun, type Revision } from '../helpers/conformance.ts';
import { startTestHub, tempDir } from './helpers.ts';

/**
 * The scenarios every endpoint of the hub must pass with only Plexus's own servers mounted: those that do not
 * need the suite's test tools (its fixture server provides them; test/hub/conformance.test.ts covers those
 * through the hub).
 */
const SCENARIOS: Record<Revision, string[]> = {
  '2026-07-28': [
    'server-stateless',
    'tools-list',
    'resources-list',
    'prompts-list',
    'caching',
    'http-header-validation',
    'sep-2164-resource-not-found',
    'dns-rebinding-protection',
    'server-sse-multiple-streams',
  ],
  '2025-11-25': [
    'tools-list',
    'resources-list',
    'prompts-list',
    'dns-rebinding-protection',
    'server-sse-multiple-streams',
    'server-initialize',
    'server-session-lifecycle',
    'ping',
  ],
};

/** Checks that change a list through the suite's own trigger tools, which only its fixture has. */
const NEEDS_SUITE_TOOLS = [
  'server-stateless/sep-2575-server-sends-tools-list-changed-on-subscription',
  'server-stateless/sep-2575-server-sends-prompts-list-changed-on-subscription',
  'server-stateless/sep-2575-server-sends-resources-list-changed-on-subscription',
];

/** Failing checks of the required scenarios, less those the suite itself marks untestable without its tools. */
function required(run: ConformanceRun): string[] {
  return problems(run, SCENARIOS[run.revision]).filter(
    (problem) =>
      !NEEDS_SUITE_TOOLS.some((check) => problem.startsWith(`${check}:`)) &&
      !run.untestable.has(problem.split(':')[0] ?? ''),
  );
}

test(
  "the hub's /mcp and each core server's /mcp/<server> pass the conformance scenarios at both revisions",
  { timeout: 300_000 },
  async (t) => {
    const hub = await startTestHub(
      t,
      {
        auth: { enabled: false },
        // A run opens many sessions and sends hundreds of requests as one caller: limits are not compared here.
        limits: { rateBurst: 100_000, ratePerSecond: 100_000, maxSessionsPerIdentity: 100_000 },
      },
      { catalogDefaults: true },
    );
    const dir = tempDir(t);
    const endpoints = ['', '/identity', '/router', '/registry', '/memory', '/llm'];
    const runs = await Promise.all(
      endpoints.flatMap((endpoint) =>
        (['2026-07-28', '2025-11-25'] as const).map(async (revision) => ({
          endpoint: `/mcp${endpoint}`,
          run: await runConformance(
            `${hub.mcpUrl}${endpoint}`,
            revision,
            path.join(dir, `${endpoint.slice(1) || 'aggregate'}-${revision}`),
            SCENARIOS[revision],
          ),
        })),
      ),
    );
    const failing = runs.flatMap(({ endpoint, run }) =>
      required(run).map((problem) => `${endpoint} ${run.revision} ${problem}`),
    );
    assert.deepEqual(failing, []);
    for (const { endpoint, run } of runs) {
      t.diagnostic(`${endpoint} ${run.revision}: ${SCENARIOS[run.revision].length} scenarios passed`);
    }
  },
);
