import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UUIDV7_PATTERN } from '../../../schemas/common.ts';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { EVENTS_URI } from '../resources.ts';
import { agent, nextUpdate, startRouter, structured, T0 } from '../testing.ts';

test('publish_event needs admin; subscribers of plexus://events are told; the resource shows recent events', async (t) => {
  const h = await startRouter(t);
  const watcher = await h.connect(agent().did, ['read']);
  await watcher.subscribeResource({ uri: EVENTS_URI });
  const notified = nextUpdate(watcher, EVENTS_URI);

  const agentWriter = await h.connect(agent().did);
  const denied = toolErrorOf(
    await agentWriter.callTool({
      name: 'publish_event',
      arguments: { type: 'agent.online', subject: 'x', data: {} },
    }),
  );
  assert.equal(denied?.code, 'insufficient_scope');

  const registry = await h.composition.connect('router');
  const event = structured<{ id: string; type: string; subject: string; data: unknown; timestamp: number }>(
    await registry.callTool({
      name: 'publish_event',
      arguments: { type: 'agent.online', subject: 'did:key:z6Mkexample', data: { load: 0.2 } },
    }),
  );
  assert.match(event.id, UUIDV7_PATTERN);
  assert.deepEqual(
    { ...event, id: undefined },
    {
      id: undefined,
      type: 'agent.online',
      subject: 'did:key:z6Mkexample',
      data: { load: 0.2 },
      timestamp: T0,
    },
  );
  await notified;
  const read = await watcher.readResource({ uri: EVENTS_URI });
  const page = JSON.parse((read.contents[0] as { text: string }).text) as { events: { id: string }[] };
  assert.deepEqual(
    page.events.map((e) => e.id),
    [event.id],
  );
  const malformed = toolErrorOf(
    await registry.callTool({ name: 'publish_event', arguments: { type: 'Online!', subject: 'x' } }),
  );
  assert.equal(malformed?.code, 'invalid_params');
});
