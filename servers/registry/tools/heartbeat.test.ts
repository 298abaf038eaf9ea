import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateIdentityKeys } from '../../../lib/crypto/identity-keys.ts';
import type { AgentView } from '../../../schemas/registry/tools.ts';
import { call, callError, callInvalid, registeredAgent, startRegistry } from '../testing.ts';

describe('heartbeat and deregister_agent', () => {
  it('records load and active tasks, and tells when the next heartbeat is due', async (t) => {
    const h = await startRegistry(t, { router: false });
    const agent = await registeredAgent(h);
    h.clock.advance(700);
    const beat = await call<{ agent: AgentView; next_heartbeat_ms: number }>(agent.client, 'heartbeat', {
      load: 0.25,
      active_tasks: 3,
    });
    assert.equal(beat.agent.load, 0.25);
    assert.equal(beat.agent.active_tasks, 3);
    assert.equal(beat.agent.last_heartbeat, h.clock.now());
    assert.equal(beat.next_heartbeat_ms, 1000);
    await callInvalid(agent.client, 'heartbeat', { load: 1.5 }, 'load');
    await callInvalid(agent.client, 'heartbeat', { active_tasks: -1 }, 'active_tasks');
  });

  it('refuses an agent that never registered', async (t) => {
    const h = await startRegistry(t, { router: false });
    const stranger = await h.connect(generateIdentityKeys().did);
    assert.equal(await callError(stranger, 'heartbeat', {}), 'agent_not_registered');
  });

  it('deregistering removes the agent and announces it offline', async (t) => {
    const h = await startRegistry(t);
    const agent = await registeredAgent(h);
    assert.deepEqual(await call(agent.client, 'deregister_agent'), { did: agent.did, removed: true });
    assert.deepEqual(await call(agent.client, 'deregister_agent'), { did: agent.did, removed: false });
    assert.equal(await callError(agent.client, 'get_agent', { did: agent.did }), 'agent_not_found');
    const hub = await h.asHub('router');
    const { events } = await call<{ events: { type: string; data: { reason: string } }[] }>(
      hub,
      'fetch_events',
      {
        types: ['agent.offline'],
      },
    );
    assert.deepEqual(
      events.map((e) => e.data.reason),
      ['deregistered'],
    );
  });
});
