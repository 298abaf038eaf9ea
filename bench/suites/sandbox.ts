// The sandbox's own measurement (real worker processes running isolated-vm), plus the host baseline the issue
// asks for: the same adder as a plain function call in this process, measured in the same run.
import { measureSandbox, figuresToResult } from '../sandbox-figures.ts';
import { latencies, quantile, rate, summarize, type Suite } from '../harness.ts';

const adder = (input: { a: number; b: number }) => ({ sum: input.a + input.b });

export const suite: Suite = {
  name: 'sandbox',
  description: 'isolated-vm tool calls (cold start, warm call, calls/s) vs a plain function call in the host',
  async run(options) {
    const result = figuresToResult(await measureSandbox(options));
    options.progress('host baseline');
    let sink = 0;
    const call = (i: number) => {
      sink += adder({ a: i, b: 2 }).sum;
    };
    const host = await latencies(options.quick ? 2_000 : 10_000, call);
    const hostRate = await rate(options.quick ? 100_000 : 1_000_000, call);
    if (sink < 0) throw new Error('unreachable');
    const warm = result.metrics['warm call round trip'];
    const calls = result.metrics['calls per second'];
    result.metrics['host function call'] = summarize(host, 'ms');
    result.metrics['host function calls per second'] = summarize([hostRate], 'calls/s');
    if (warm)
      result.metrics['warm round trip / host call p50'] = summarize([warm.median / quantile(host, 0.5)], 'x');
    if (calls) result.metrics['sandbox calls/s / host calls/s'] = summarize([calls.median / hostRate], 'x');
    result.notes = [
      ...(result.notes ?? []),
      'host baseline: the same adder as a plain awaited function call in this process (latency includes the await)',
    ];
    return result;
  },
};
