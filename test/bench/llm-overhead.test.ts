import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureRouterOverhead } from '../../bench/llm-overhead.ts';

test('router overhead measurement returns percentiles for every path', async () => {
  const r = await measureRouterOverhead({ calls: 20, warmup: 2 });
  for (const path of ['direct', 'router', 'tool'] as const) {
    assert.equal(r.samples[path].length, 20);
    assert.ok(r[path].p50 > 0 && r[path].p99 >= r[path].p50);
  }
});
