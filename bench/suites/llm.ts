// LLM router overhead: the llm server's own measurement (bench/llm-overhead.ts: direct `ollama` client vs LlmRouter vs
// the `chat` MCP tool, interleaved against one fixture Ollama server), with the goals on the added time.
import { measureRouterOverhead } from '../llm-overhead.ts';
import { goal, summarize, type Metric, type Suite } from '../harness.ts';

export const suite: Suite = {
  name: 'llm',
  description: 'LLM router overhead on the fixture Ollama-API server vs a direct call (p50/p99 added)',
  async run({ quick, progress }) {
    const runs = quick ? 2 : 5;
    const calls = quick ? 100 : 400;
    const per: Record<string, number[]> = {};
    const add = (name: string, value: number) => (per[name] ??= []).push(value);
    for (let i = 0; i < runs; i++) {
      progress(`run ${i + 1}/${runs}`);
      const r = await measureRouterOverhead({ calls, warmup: 30 });
      for (const path of ['direct', 'router', 'tool'] as const) {
        add(`${path} p50`, r[path].p50);
        add(`${path} p99`, r[path].p99);
      }
      add('router added p50', r.router.p50 - r.direct.p50);
      add('router added p99', r.router.p99 - r.direct.p99);
      add('chat tool added p50', r.tool.p50 - r.direct.p50);
      add('chat tool added p99', r.tool.p99 - r.direct.p99);
    }
    const metrics: Record<string, Metric> = Object.fromEntries(
      Object.entries(per).map(([name, values]) => [name, summarize(values, 'ms')]),
    );
    const p50 = metrics['chat tool added p50']?.median ?? Number.NaN;
    const p99 = metrics['chat tool added p99']?.median ?? Number.NaN;
    return {
      metrics,
      goals: [
        goal('added p50 (chat tool vs direct)', '≤ 1 ms', p50, p50 <= 1),
        goal('added p99 (chat tool vs direct)', '≤ 5 ms', p99, p99 <= 5),
      ],
      notes: [
        `${calls} sequential calls per path per run, paths interleaved; the fixture answers "pong" in one NDJSON chunk`,
        'router = LlmRouter in-process; chat tool = the MCP tool over an in-process SDK client (what the hub forwards to)',
        'added = path percentile minus direct percentile in the same run; a negative p99 means machine noise exceeds the overhead',
      ],
    };
  },
};
