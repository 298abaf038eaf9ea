// `npm run bench [suite ...] [--quick]`: runs the suites, writes bench/results/<suite>.json, prints a table.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, type Suite, type SuiteResult } from './harness.ts';
import { markdown } from './report.ts';

const suitesDir = join(import.meta.dirname, 'suites');
const resultsDir = join(import.meta.dirname, 'results');

async function loadSuites(): Promise<Suite[]> {
  const files = readdirSync(suitesDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const suites = await Promise.all(
    files.map(async (f) => ((await import(join(suitesDir, f))) as { suite: Suite }).suite),
  );
  return suites.sort((a, b) => a.name.localeCompare(b.name));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { quick: { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
  });
  const all = await loadSuites();
  if (values.list) {
    for (const s of all) console.log(`${s.name.padEnd(10)} ${s.description}`);
    return 0;
  }
  const unknown = positionals.filter((p) => !all.some((s) => s.name === p));
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = positionals.length ? all.filter((s) => positionals.includes(s.name)) : all;
  const host = machine();
  const results = new Map<string, SuiteResult>();
  let failed = 0;
  mkdirSync(resultsDir, { recursive: true });
  for (const suite of chosen) {
    const started = performance.now();
    console.error(`[bench] ${suite.name}: running${values.quick ? ' (quick)' : ''}…`);
    try {
      const result = await suite.run({
        quick: values.quick,
        progress: (line) => console.error(`[bench] ${suite.name}: ${line}`),
      });
      results.set(suite.name, result);
      const file = join(resultsDir, `${suite.name}.json`);
      const record = {
        suite: suite.name,
        machine: host,
        quick: values.quick,
        at: new Date().toISOString(),
        ...result,
      };
      writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
      const met = result.goals.filter((g) => g.met).length;
      console.error(
        `[bench] ${suite.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s, goals met ${met}/${result.goals.length}`,
      );
    } catch (error) {
      failed++;
      console.error(`[bench] ${suite.name}: FAILED`, error);
    }
  }
  const about = `machine: ${host['cpu']}, ${host['cores']} cores, ${host['memoryGiB']} GiB, ${host['os']}, node ${host['node']}`;
  console.log(`${about}\n\n${markdown(results)}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
