import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError, ProtocolErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import { McpTaskSettings } from '../../schemas/mcp-task.ts';
import { silentLogger } from '../log.ts';
import { BackgroundTasks } from './background-tasks.ts';
import type { ToolCall } from './tool-tasks.ts';

/** Lets settled work reach the store (its completion is a promise reaction). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

const RESULT: CallToolResult = { content: [{ type: 'text', text: 'done' }] };

/** A call whose detached run ends when the test settles it. */
function pendingCall() {
  const settle = Promise.withResolvers<CallToolResult>();
  let signal: AbortSignal | undefined;
  const call: ToolCall = {
    now: async () => RESULT,
    detached: (s) => {
      signal = s;
      return settle.promise;
    },
  };
  return { call, settle, signal: () => signal };
}

function tasksAt(clock: { now: number }, settings: Partial<McpTaskSettings> = {}) {
  return new BackgroundTasks(['t'], McpTaskSettings.parse({ ttl_ms: 60_000, ...settings }), {
    now: () => clock.now,
    log: silentLogger,
  });
}

async function started(tasks: BackgroundTasks, owner: string, call: ToolCall): Promise<string> {
  const start = await tasks.start(owner, call);
  assert.ok('task' in start, 'expected a task');
  return start.task.taskId;
}

test('a finished task is kept ttl_ms from its creation; one still working is never dropped', async () => {
  const clock = { now: 1_000_000 };
  const tasks = tasksAt(clock);
  const quick = pendingCall();
  const quickId = await started(tasks, 'a', quick.call);
  quick.settle.resolve(RESULT);
  await settled();
  clock.now += 59_999;
  assert.equal((await tasks.get('a', quickId))?.status, 'completed');
  assert.deepEqual((await tasks.get('a', quickId))?.result, RESULT);
  clock.now += 1;
  assert.equal(await tasks.get('a', quickId), null, 'gone once its TTL has passed');

  const slow = pendingCall();
  const slowId = await started(tasks, 'a', slow.call);
  clock.now += 150_000;
  const working = await tasks.get('a', slowId);
  assert.equal(working?.status, 'working');
  assert.equal(working?.ttlMs, 180_000, 'work outliving its TTL is kept whole periods more');
  slow.settle.resolve(RESULT);
  await settled();
  clock.now += 29_999;
  assert.equal((await tasks.get('a', slowId))?.ttlMs, 180_000);
  clock.now += 1;
  assert.equal(await tasks.get('a', slowId), null);
});

test('failures: a JSON-RPC error is kept as the task error, anything else as an internal error', async () => {
  const tasks = tasksAt({ now: 0 });
  const rpc = pendingCall();
  const rpcId = await started(tasks, 'a', rpc.call);
  rpc.settle.reject(new ProtocolError(ProtocolErrorCode.InvalidParams, 'bad result', { at: 'content' }));
  const crash = pendingCall();
  const crashId = await started(tasks, 'a', crash.call);
  crash.settle.reject(new Error('secret detail'));
  await settled();

  const failed = await tasks.get('a', rpcId);
  assert.equal(failed?.status, 'failed');
  assert.deepEqual(failed?.error, { code: -32602, message: 'bad result', data: { at: 'content' } });
  assert.equal(failed?.result, undefined);
  const internal = await tasks.get('a', crashId);
  assert.deepEqual(internal?.error, { code: -32603, message: 'Internal error' });
  assert.doesNotMatch(JSON.stringify(internal), /secret/);
});

test('tasks belong to their owner; cancel aborts the work and wins over a late result', async () => {
  const tasks = tasksAt({ now: 0 });
  const work = pendingCall();
  const id = await started(tasks, 'a', work.call);
  assert.equal(await tasks.get('b', id), null);
  assert.equal(await tasks.cancel('b', id), false);
  assert.equal(work.signal()?.aborted, false);

  assert.equal(await tasks.cancel('a', id), true);
  assert.equal(work.signal()?.aborted, true);
  work.settle.resolve(RESULT);
  await settled();
  const task = await tasks.get('a', id);
  assert.equal(task?.status, 'cancelled');
  assert.equal(task?.result, undefined);
  assert.equal(await tasks.cancel('a', id), true, 'cancelling again is acknowledged');
});

test('past max_running_per_caller running tasks, a call runs blocking; other callers are not affected', async () => {
  const tasks = tasksAt({ now: 0 }, { max_running_per_caller: 1 });
  const first = pendingCall();
  await started(tasks, 'a', first.call);
  assert.deepEqual(await tasks.start('a', pendingCall().call), { result: RESULT });
  await started(tasks, 'b', pendingCall().call);
  first.settle.resolve(RESULT);
  await settled();
  await started(tasks, 'a', pendingCall().call);
});

test('closing stops running work', async () => {
  const tasks = tasksAt({ now: 0 });
  const work = pendingCall();
  const id = await started(tasks, 'a', work.call);
  tasks.close();
  assert.equal(work.signal()?.aborted, true);
  assert.equal((await tasks.get('a', id))?.status, 'cancelled');
});
