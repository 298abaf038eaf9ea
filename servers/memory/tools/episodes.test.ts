import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agent, call, callFailure, memoryHarness } from '../testing.ts';

interface Episode {
  id: string;
  thread: string;
  role: string;
  content: string;
  agent: string;
  time: number;
  provenance: { author: string };
}
interface Page {
  episodes: Episode[];
  cursor: string | null;
  more: boolean;
}

test('record episodes and page through them by thread, agent, time and text', async (t) => {
  let now = 10_000;
  const h = memoryHarness(t, { now: () => now });
  const alice = agent().did;
  const bob = agent().did;
  const a = await h.connect(alice);
  const b = await h.connect(bob);
  for (let i = 0; i < 5; i++) {
    now += 1_000;
    await call(a, 'record_episode', {
      thread: 't1',
      role: i % 2 ? 'assistant' : 'user',
      content: `step ${i} of the plan`,
    });
  }
  await call(a, 'record_episode', {
    thread: 't2',
    role: 'user',
    content: 'other thread',
    time: 1_000,
    agent: bob,
  });
  await call(b, 'record_episode', {
    thread: 't1',
    role: 'user',
    content: 'bob private',
    scope: { kind: 'private' },
  });

  const first = await call<Page>(a, 'query_episodes', { thread: 't1', limit: 2 });
  assert.deepEqual(
    first.episodes.map((e) => e.content),
    ['step 0 of the plan', 'step 1 of the plan'],
  );
  assert.equal(first.more, true);
  assert.equal(first.episodes[0]?.provenance.author, alice);
  const second = await call<Page>(a, 'query_episodes', { thread: 't1', limit: 2, cursor: first.cursor });
  assert.deepEqual(
    second.episodes.map((e) => e.content),
    ['step 2 of the plan', 'step 3 of the plan'],
  );
  const latest = await call<Page>(a, 'query_episodes', { order: 'desc', limit: 1 });
  assert.equal(latest.episodes[0]?.content, 'step 4 of the plan');
  const range = await call<Page>(a, 'query_episodes', { since: 12_000, until: 14_000 });
  assert.deepEqual(
    range.episodes.map((e) => e.time),
    [12_000, 13_000],
  );
  const byAgent = await call<Page>(a, 'query_episodes', { agent: bob });
  assert.deepEqual(
    byAgent.episodes.map((e) => [e.thread, e.agent]),
    [['t2', bob]],
  );
  const text = await call<Page>(a, 'query_episodes', { text: 'thread' });
  assert.deepEqual(
    text.episodes.map((e) => e.content),
    ['other thread'],
  );
  // Bob's private episode stays his; Alice's private episodes are not Bob's.
  assert.deepEqual(
    (await call<Page>(b, 'query_episodes', { thread: 't1' })).episodes.map((e) => e.content),
    ['bob private'],
  );

  const bad = await callFailure(a, 'query_episodes', { cursor: 'not-a-cursor!' });
  assert.deepEqual([bad.code, bad.field], ['invalid_input', 'cursor']);
  assert.equal(
    (await callFailure(a, 'record_episode', { thread: 't', role: 'user', content: '' })).code,
    'invalid_params',
  );
});
