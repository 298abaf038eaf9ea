import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authInfoFor } from '../../../lib/mcp/in-process.ts';
import type { Task } from '../../../schemas/task.ts';
import { call, callError, callInvalid, registeredAgent, startRegistry } from '../testing.ts';

describe('list_tasks and get_task', () => {
  it('show a caller its own tasks, newest first, a page at a time', async (t) => {
    const h = await startRegistry(t, { router: false });
    const requester = await registeredAgent(h);
    const other = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize', 'translate'] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.advance(10);
      const capability = i % 2 ? 'translate' : 'summarize';
      const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
        capability,
        input: i,
      });
      ids.push(task.id);
    }
    await call(other.client, 'dispatch_task', { capability: 'summarize', input: 'other' });

    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page: { tasks: Task[]; cursor: string | null } = await call(requester.client, 'list_tasks', {
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.tasks.map((x) => x.id));
      cursor = page.cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());

    const held = await call<{ tasks: Task[] }>(worker.client, 'list_tasks', {
      role: 'assignee',
      capability: 'translate',
    });
    assert.deepEqual(
      held.tasks.map((x) => x.id),
      [ids[3], ids[1]],
    );
    const none = await call<{ tasks: Task[] }>(worker.client, 'list_tasks', { states: ['completed'] });
    assert.equal(none.tasks.length, 0);
    await callInvalid(requester.client, 'list_tasks', { cursor: 'garbage' }, 'cursor');

    const id = ids[0]!;
    assert.equal((await call<{ task: Task }>(worker.client, 'get_task', { id })).task.id, id);
    assert.equal(await callError(other.client, 'get_task', { id }), 'task_not_found');
    const operator = await h.composition.connect('registry', authInfoFor('operator:ops', ['admin']));
    assert.equal((await call<{ task: Task }>(operator, 'get_task', { id })).task.requester, requester.did);
  });
});
