import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { launch, launchProcess, stop, type Proc } from '../helpers/plexus-process.ts';
import { freePort } from '../helpers/ports.ts';
import { requireTool } from '../helpers/tools.ts';

/**
 * deploy/prometheus and deploy/grafana against the real thing: promtool checks and unit-tests the alert rules,
 * Debian's prometheus scrapes a running `plexus hub` (its token-free metrics listener) with those rules loaded
 * and answers a query for one of its series, and every metric the rules and the dashboard name is one the hub
 * exports.
 */

const DEPLOY = path.resolve(import.meta.dirname, '../../deploy');
const RULES = path.join(DEPLOY, 'prometheus', 'plexus-alerts.yml');
const DASHBOARD = path.join(DEPLOY, 'grafana', 'plexus-hub.json');
/** Series Prometheus makes itself, not the hub. */
const PROMETHEUS_OWN = new Set(['up']);

function ruleExpressions(): string[] {
  const file = parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return file.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { query?: unknown }[] };
  };
  const variables = dashboard.templating.list
    .map((v) => (v.query as { query?: string } | undefined)?.query)
    .filter((q): q is string => typeof q === 'string');
  return [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...variables];
}

/** Metric names in PromQL: identifiers that are not followed by `(` (functions) nor inside braces/quotes. */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""');
  return [...bare.matchAll(/\b(plexus_[a-z0-9_]+|up)\b(?!\s*\()/g)].map((m) => m[1] as string);
}

test('promtool accepts the alert rules, and its rule unit tests pass', (t) => {
  const promtool = requireTool(t, 'promtool', 'prometheus');
  if (!promtool) return;
  const checked = execFileSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.match(checked, /SUCCESS: \d+ rules found/);
  const tested = execFileSync(promtool, ['test', 'rules', 'plexus-alerts.test.yml'], {
    cwd: path.dirname(RULES),
    encoding: 'utf8',
  });
  assert.match(tested, /SUCCESS/);
  const config = execFileSync(promtool, ['check', 'config', 'prometheus.example.yml'], {
    cwd: path.dirname(RULES),
    encoding: 'utf8',
  });
  assert.match(config, /is valid prometheus config/);
});

test(
  'a real Prometheus scrapes a running hub with the rules loaded; the rules and dashboard use its series',
  {
    timeout: 240_000,
  },
  async (t) => {
    const prometheus = requireTool(t, 'prometheus', 'prometheus');
    if (!prometheus) return;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-prometheus-'));
    const procs: Proc[] = [];
    t.after(async () => {
      for (const proc of procs.reverse()) await stop(proc);
      fs.rmSync(root, { recursive: true, force: true });
    });

    const metricsPort = await freePort();
    const hub = launch(
      ['hub', '--port', '0', '--data', path.join(root, 'hub')],
      { PLEXUS_METRICS_PORT: String(metricsPort), OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` },
      root,
    );
    procs.push(hub);
    const hubUrl = /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on http/))?.[1] ?? '';
    await hub.waitForStderr(/"msg":"hub serving"/);

    // On the hub's own port the metrics need an admin token; the operator's is one.
    assert.equal((await fetch(`${hubUrl}/metrics`)).status, 401);
    const operatorToken = fs.readFileSync(path.join(root, 'hub', 'operator-token'), 'utf8').trim();
    const withToken = await fetch(`${hubUrl}/metrics`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    assert.equal(withToken.status, 200);
    // The separate listener serves the same registry without one.
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const families = new Map(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const exported = (name: string) =>
      families.has(name) ||
      ['_bucket', '_sum', '_count'].some(
        (suffix) => name.endsWith(suffix) && families.get(name.slice(0, -suffix.length)) === 'histogram',
      );
    const used = new Set([...ruleExpressions(), ...dashboardExpressions()].flatMap(metricNames));
    assert.ok(used.size >= 10, `names found: ${[...used].join(', ')}`);
    for (const name of used) {
      if (PROMETHEUS_OWN.has(name)) continue;
      assert.ok(exported(name), `${name} is used by deploy/ but the hub does not export it`);
    }

    const promPort = await freePort();
    const config = path.join(root, 'prometheus.yml');
    fs.writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES],
        scrape_configs: [
          { job_name: 'plexus-hub', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
        ],
      }),
    );
    const server = launchProcess(
      prometheus,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(root, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      {},
      root,
    );
    procs.push(server);
    await server.waitForStderr(/Server is ready to receive web requests/);

    const api = `http://127.0.0.1:${promPort}/api/v1`;
    // Scrapes come every second: ask until the first has landed (the test's timeout bounds the wait).
    let series: { metric: Record<string, string>; value: [number, string] }[] = [];
    while (series.length === 0) {
      const query = encodeURIComponent('plexus_upstream_up{job="plexus-hub",server="identity"}');
      const body = (await (await fetch(`${api}/query?query=${query}`)).json()) as {
        status: string;
        data: { result: typeof series };
      };
      assert.equal(body.status, 'success');
      series = body.data.result;
      if (series.length === 0) await delay(250);
    }
    assert.equal(series[0]?.metric['instance'], `127.0.0.1:${metricsPort}`);
    assert.equal(series[0]?.value[1], '1', 'identity is up on the hub');

    // Prometheus itself evaluates every rule against the hub's series without an error.
    const expected = ruleExpressions().length;
    let rules: { name: string; health: string; lastError?: string }[] = [];
    while (rules.length < expected || rules.some((r) => r.health === 'unknown')) {
      const body = (await (await fetch(`${api}/rules`)).json()) as {
        data: { groups: { rules: typeof rules }[] };
      };
      rules = body.data.groups.flatMap((g) => g.rules);
      if (rules.length < expected || rules.some((r) => r.health === 'unknown')) await delay(250);
    }
    for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`);
  },
);
