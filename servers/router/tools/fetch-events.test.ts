import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { agent, startRouter, structured } from '../testing.ts';

interface Page {
  events: { type: string; subject: string }[];
  cursor: string | null;
  more: boolean;
}

test('fetch_events follows the stream by cursor and filters by type', async (t) => {
  const h = await startRouter(t);
  const registry = await h.composition.connect('router');
  const types = ['agent.online', 'task.submitted', 'agent.offline', 'task.completed', 'tool.published'];
  for (const [i, type] of types.entries()) {
    structured(await registry.callTool({ name: 'publish_event', arguments: { type, subject: `s${i}` } }));
  }
  const reader = await h.connect(agent().did, ['read']);
  const fetch = async (args: Record<string, unknown>) =>
    structured<Page>(await reader.callTool({ name: 'fetch_events', arguments: args }));

  const first = await fetch({ limit: 2 });
  assert.deepEqual(
    first.events.map((e) => e.type),
    types.slice(0, 2),
  );
  assert.equal(first.more, true);
  const rest = await fetch({ cursor: first.cursor });
  assert.deepEqual(
    rest.events.map((e) => e.type),
    types.slice(2),
  );
  assert.equal(rest.more, false);
  const idle = await fetch({ cursor: rest.cursor });
  assert.deepEqual(idle, { events: [], cursor: rest.cursor, more: false });

  const agents = await fetch({ types: ['agent.online', 'agent.offline'] });
  assert.deepEqual(
    agents.events.map((e) => e.subject),
    ['s0', 's2'],
  );
  const later = await registry.callTool({
    name: 'publish_event',
    arguments: { type: 'agent.online', subject: 's5' },
  });
  structured(later);
  const followed = await fetch({ types: ['agent.online', 'agent.offline'], cursor: agents.cursor });
  assert.deepEqual(
    followed.events.map((e) => e.subject),
    ['s5'],
  );
  const bad = toolErrorOf(await reader.callTool({ name: 'fetch_events', arguments: { cursor: 'nope' } }));
  assert.equal(bad?.code, 'cursor_invalid');
});
