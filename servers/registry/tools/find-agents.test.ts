import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentView } from '../../../schemas/registry/tools.ts';
import { call, callInvalid, registeredAgent, startRegistry } from '../testing.ts';

type Page = { agents: AgentView[]; cursor: string | null };

describe('find_agents and get_agent', () => {
  it('filters by capability, role, name, status and minimum trust, a page at a time', async (t) => {
    const h = await startRegistry(t, { identity: true, settings: { trustCacheMs: 0 } });
    const agents = [];
    for (let i = 0; i < 7; i++) {
      agents.push(
        await registeredAgent(h, {
          name: `Worker ${i}`,
          role: i < 5 ? 'worker' : 'planner',
          capabilities: i % 2 ? ['summarize'] : ['translate'],
        }),
      );
    }
    const [a0, a1, a2] = agents;
    const client = a0!.client;
    const find = async (args: Record<string, unknown>): Promise<string[]> => {
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await call(client, 'find_agents', {
          limit: 2,
          ...args,
          ...(cursor ? { cursor } : {}),
        });
        assert.ok(page.agents.length <= 2);
        names.push(...page.agents.map((x) => x.name));
        cursor = page.cursor;
      } while (cursor);
      return names.sort();
    };
    assert.equal((await find({})).length, 7);
    assert.deepEqual(await find({ capability: 'summarize' }), ['Worker 1', 'Worker 3', 'Worker 5']);
    assert.deepEqual(await find({ role: 'planner' }), ['Worker 5', 'Worker 6']);
    assert.deepEqual(await find({ name: 'worker 4' }), ['Worker 4']);

    await call(a2!.client, 'heartbeat', { status: 'offline' });
    assert.deepEqual(await find({ status: ['offline'] }), ['Worker 2']);
    assert.equal((await find({ status: ['online'] })).length, 6);

    const identity = await h.asHub('identity');
    for (const reference of ['r1', 'r2', 'r3', 'r4']) {
      for (const who of [a1!, a2!]) {
        await call(identity, 'report_outcome', {
          subject: who.did,
          source: 'task',
          positive: true,
          reference,
        });
      }
    }
    const trusted = await find({ min_trust: 0.6 });
    assert.deepEqual(trusted, ['Worker 1', 'Worker 2']);
    const all: Page = await call(client, 'find_agents', {});
    for (const agent of all.agents) assert.equal(typeof agent.trust, 'number');

    await callInvalid(client, 'find_agents', { min_trust: 2 }, 'min_trust');
    await callInvalid(client, 'find_agents', { limit: 0 }, 'limit');
  });

  it('reuses a trust score for trustCacheMs', async (t) => {
    const h = await startRegistry(t, { identity: true, settings: { trustCacheMs: 60_000 } });
    const agent = await registeredAgent(h);
    const trustOf = async (): Promise<number | null> =>
      (await call<{ agent: AgentView }>(agent.client, 'get_agent', { did: agent.did })).agent.trust;
    const before = await trustOf();
    const identity = await h.asHub('identity');
    for (const reference of ['r1', 'r2', 'r3']) {
      await call(identity, 'report_outcome', {
        subject: agent.did,
        source: 'task',
        positive: true,
        reference,
      });
    }
    assert.equal(await trustOf(), before, 'still the cached score');
    h.clock.advance(60_001);
    const after = await trustOf();
    assert.ok(after !== null && before !== null && after > before, `${after} > ${before}`);
  });

  it('reports trust as null without an identity server', async (t) => {
    const h = await startRegistry(t, { router: false });
    const agent = await registeredAgent(h, { capabilities: ['plan'] });
    const { agent: view } = await call<{ agent: AgentView }>(agent.client, 'get_agent', { did: agent.did });
    assert.equal(view.trust, null);
    const page = await call<Page>(agent.client, 'find_agents', { min_trust: 0.1 });
    assert.deepEqual(page.agents, [], 'unknown trust never passes a minimum');
  });
});
