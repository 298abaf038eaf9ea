import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolErrorOf } from '../../../lib/mcp/result.ts';
import { agent, startRouter, structured } from '../testing.ts';

test('subscribe_topic and unsubscribe_topic track the caller’s topics', async (t) => {
  const h = await startRouter(t);
  const b = await h.connect(agent().did);
  const call = async (name: string, topic: string) =>
    structured<{ topic: string; changed: boolean; topics: string[] }>(
      await b.callTool({ name, arguments: { topic } }),
    );
  assert.deepEqual(await call('subscribe_topic', 'news'), { topic: 'news', changed: true, topics: ['news'] });
  assert.deepEqual(await call('subscribe_topic', 'news'), {
    topic: 'news',
    changed: false,
    topics: ['news'],
  });
  assert.deepEqual((await call('subscribe_topic', 'alerts/disk')).topics, ['alerts/disk', 'news']);
  assert.deepEqual(await call('unsubscribe_topic', 'news'), {
    topic: 'news',
    changed: true,
    topics: ['alerts/disk'],
  });
  assert.equal((await call('unsubscribe_topic', 'news')).changed, false);
  const bad = toolErrorOf(await b.callTool({ name: 'subscribe_topic', arguments: { topic: 'Bad Topic' } }));
  assert.equal(bad?.code, 'invalid_params');
});
