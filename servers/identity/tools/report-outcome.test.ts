import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failure, newAgent, ok, startIdentity } from '../test-support.ts';

test('outcomes from the registry: admin only, counted once per reference, feeding the trust score', async (t) => {
  const h = await startIdentity(t);
  const registry = await h.connect('service:registry', ['admin']);
  const agent = await h.connect('did:key:z6MkagentAgentAgentAgentAgentAgentAgentAgentAgen', ['write']);
  const worker = newAgent();
  const report = { subject: worker.did, source: 'task', positive: true, reference: 'task-1' };
  assert.equal(await failure(agent, 'report_outcome', report), 'insufficient_scope');
  assert.deepEqual(await ok(registry, 'report_outcome', report), { recorded: true, duplicate: false });
  assert.deepEqual(await ok(registry, 'report_outcome', report), { recorded: false, duplicate: true });
  for (const reference of ['task-2', 'task-3'])
    await ok(registry, 'report_outcome', { ...report, reference });
  await ok(registry, 'report_outcome', { ...report, source: 'uptime', positive: false, reference: 'hb-1' });
  const trust = await ok<{
    score: number;
    outcomes: { task: { positive: number }; uptime: { negative: number } };
  }>(registry, 'get_trust', { did: worker.did });
  // The authority's own view: 3 positive, 1 negative, undiscounted.
  assert.equal(trust.score, (3 + 1) / (3 + 1 + 2));
  assert.deepEqual([trust.outcomes.task.positive, trust.outcomes.uptime.negative], [3, 1]);
});
