import type { SuiteResult } from './harness.ts';

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A markdown table of every suite's metrics and goals. */
export function markdown(results: ReadonlyMap<string, SuiteResult>): string {
  const lines = ['| suite | metric | median | min – max | unit |', '|---|---|---:|---:|---|'];
  for (const [suite, result] of results) {
    for (const [name, m] of Object.entries(result.metrics)) {
      lines.push(
        `| ${suite} | ${name} | ${format(m.median)} | ${format(m.min)} – ${format(m.max)} | ${m.unit} |`,
      );
    }
  }
  const goals = [...results].flatMap(([suite, r]) => r.goals.map((g) => ({ suite, ...g })));
  if (goals.length) {
    lines.push('', '| suite | goal | target | measured | met |', '|---|---|---|---:|:---:|');
    for (const g of goals)
      lines.push(`| ${g.suite} | ${g.name} | ${g.target} | ${format(g.value)} | ${g.met ? 'yes' : 'no'} |`);
  }
  const notes = [...results].flatMap(([suite, r]) => (r.notes ?? []).map((n) => `- ${suite}: ${n}`));
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}
