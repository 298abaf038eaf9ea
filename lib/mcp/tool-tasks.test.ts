import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { McpServer } from '@modelcontextprotocol/server';
import {
  CLIENT_CAPABILITIES_META_KEY,
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type SubscriptionFilter,
} from '@modelcontextprotocol/client';
import { z } from 'zod';
import { McpTaskSettings, TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import { TasksClient, connectHttp, plainModernClient } from '../../test/helpers/tasks-client.ts';
import { PlexusError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { BackgroundTasks } from './background-tasks.ts';
import type { Component } from './component.ts';
import { defineTool } from './define-tool.ts';
import { serveHttp } from './serve-http.ts';
import { serveToolTasks } from './tool-tasks.ts';

/**
 * A component with one long-running tool, `wait_for`, that reports progress and then waits until the test
 * opens the gate of its label (or its signal aborts), and one quick tool that never runs as a task.
 */
function gatedComponent() {
  const gates = new Map<string, PromiseWithResolvers<void>>();
  const gate = (label: string) => {
    let pending = gates.get(label);
    if (!pending) gates.set(label, (pending = Promise.withResolvers()));
    return pending;
  };
  const aborted = new Map<string, PromiseWithResolvers<void>>();
  const abortedOf = (label: string) => {
    let pending = aborted.get(label);
    if (!pending) aborted.set(label, (pending = Promise.withResolvers()));
    return pending;
  };
  const tasks = new BackgroundTasks(['wait_for'], McpTaskSettings.parse({ poll_interval_ms: 5 }), {
    now: Date.now,
    log: silentLogger,
  });
  const component: Component = {
    createServer() {
      const server = new McpServer({ name: 'gated', version: '1' });
      defineTool(
        server,
        { log: silentLogger },
        {
          name: 'wait_for',
          title: 'Wait for a gate',
          description: 'Waits until the gate opens',
          scope: 'write',
          input: z.object({ label: z.string() }),
          output: z.object({ label: z.string(), caller: z.string() }),
          annotations: { readOnlyHint: true },
          handler: async ({ label }, { caller, signal, mcp }) => {
            const progressToken = mcp.mcpReq._meta?.progressToken;
            if (progressToken !== undefined) {
              const params = { progressToken, progress: 1, message: `waiting for ${label}` };
              await mcp.mcpReq.notify({ method: 'notifications/progress', params });
            }
            signal.addEventListener('abort', () => abortedOf(label).resolve(), { once: true });
            await Promise.race([
              gate(label).promise,
              new Promise((_, reject) => signal.addEventListener('abort', reject, { once: true })),
            ]);
            if (label === 'missing') throw new PlexusError('not_found', 'gate_missing', 'no such gate');
            return { structured: { label, caller: caller.subject }, text: `${label} opened` };
          },
        },
      );
      defineTool(
        server,
        { log: silentLogger },
        {
          name: 'quick',
          title: 'Quick',
          description: 'Answers at once',
          scope: 'read',
          input: z.object({}),
          output: z.object({ ok: z.boolean() }),
          annotations: { readOnlyHint: true },
          handler: async () => ({ structured: { ok: true }, text: 'ok' }),
        },
      );
      return serveToolTasks(server, tasks);
    },
    close: async () => tasks.close(),
  };
  return { component, open: (label: string) => gate(label).resolve(), aborted: abortedOf };
}

async function serveGated(t: TestContext) {
  const gated = gatedComponent();
  const served = await serveHttp(gated.component, {
    verifyToken: async (token) => ({ token, clientId: `user:${token}`, scopes: ['read', 'write'] }),
    log: silentLogger,
  });
  t.after(() => served.close());
  t.after(() => gated.component.close());
  const connect = async <C extends Client>(client: C, token: string) => {
    t.after(() => client.close());
    return connectHttp(client, served.url, token);
  };
  return { ...gated, served, connect };
}

function rpcCode(error: unknown): number | undefined {
  return error instanceof ProtocolError ? error.code : undefined;
}

test('a declaring client gets a task, polls it to the result a blocking call returns', async (t) => {
  const { connect, open } = await serveGated(t);
  const alice = await connect(new TasksClient(), 'alice');
  assert.deepEqual(alice.getServerCapabilities()?.extensions, { [TASKS_EXTENSION]: {} });

  const answer = await alice.callToolOrTask('wait_for', { label: 'one' });
  assert.ok('task' in answer, 'a task-capable tool answers a declaring client with a task');
  const { task } = answer;
  assert.deepEqual(
    Object.keys(alice.taskAnswers[0] ?? {}).sort(),
    ['_meta', 'createdAt', 'lastUpdatedAt', 'pollIntervalMs', 'resultType', 'status', 'taskId', 'ttlMs'],
    'the wire answer is a task and nothing else',
  );
  assert.equal(task.status, 'working');
  assert.equal(task.ttlMs, 3_600_000);
  assert.equal(task.pollIntervalMs, 5);
  assert.equal(typeof Date.parse(task.createdAt), 'number');

  const progressing = await alice.pollTask(task.taskId, (t) => t.statusMessage !== undefined);
  assert.equal(progressing.status, 'working');
  assert.equal(progressing.statusMessage, 'waiting for one', 'progress becomes the status line');
  assert.equal(progressing.result, undefined);

  open('one');
  const done = await alice.pollTask(task.taskId);
  assert.equal(done.status, 'completed');

  const blocking = await connect(plainModernClient(), 'alice');
  const direct = await blocking.callTool({ name: 'wait_for', arguments: { label: 'one' } });
  assert.deepEqual(
    { content: done.result?.['content'], structuredContent: done.result?.['structuredContent'] },
    { content: direct.content, structuredContent: direct.structuredContent },
  );
  assert.deepEqual(direct.structuredContent, { label: 'one', caller: 'user:alice' });

  // A tool that is not task-capable answers a declaring client directly.
  const quick = await alice.callToolOrTask('quick', {});
  assert.ok('result' in quick);
  assert.deepEqual(quick.result.structuredContent, { ok: true });
});

test('a tool error ends the task completed with the error result, as the blocking call would answer', async (t) => {
  const { connect, open } = await serveGated(t);
  const alice = await connect(new TasksClient(), 'alice');
  open('missing');
  const answer = await alice.callToolOrTask('wait_for', { label: 'missing' });
  assert.ok('task' in answer);
  const done = await alice.pollTask(answer.task.taskId);
  assert.equal(done.status, 'completed');
  assert.equal(done.result?.['isError'], true);
  assert.deepEqual(
    (done.result?.['_meta'] as Record<string, { code: string }>)['io.plexus/error']?.code,
    'gate_missing',
  );
});

test('cancel aborts the work; another caller sees no task; acks repeat', async (t) => {
  const { connect, aborted } = await serveGated(t);
  const alice = await connect(new TasksClient(), 'alice');
  const bob = await connect(new TasksClient(), 'bob');
  const answer = await alice.callToolOrTask('wait_for', { label: 'never' });
  assert.ok('task' in answer);
  const id = answer.task.taskId;

  for (const attempt of [() => bob.getTask(id), () => bob.cancelTask(id), () => bob.updateTask(id, {})]) {
    await assert.rejects(attempt(), (error) => rpcCode(error) === -32602, 'not found for another caller');
  }
  await assert.rejects(alice.getTask('no-such-task'), (error) => rpcCode(error) === -32602);

  await alice.updateTask(id, { nothing: { action: 'accept' } });
  assert.equal((await alice.getTask(id)).status, 'working', 'an unasked-for input response is ignored');

  await alice.cancelTask(id);
  await aborted('never').promise;
  const cancelled = await alice.getTask(id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.result, undefined);
  await alice.cancelTask(id);
  assert.equal((await alice.getTask(id)).status, 'cancelled', 'cancelling an ended task changes nothing');
});

test('a client that does not declare the extension blocks, and may not use tasks/*', async (t) => {
  const { connect, open } = await serveGated(t);
  const plain = await connect(plainModernClient(), 'alice');
  const pending = plain.callTool({ name: 'wait_for', arguments: { label: 'plain' } });
  open('plain');
  assert.deepEqual((await pending).structuredContent, { label: 'plain', caller: 'user:alice' });
  await assert.rejects(
    plain.request({ method: 'tasks/get', params: { taskId: 'x' } }, z.looseObject({})),
    (error) =>
      rpcCode(error) === -32021 &&
      JSON.stringify((error as ProtocolError).data) ===
        JSON.stringify({ requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } }),
  );
});

test('a 2025-era session blocks even when it declares the extension, in initialize or per request', async (t) => {
  const { served, open } = await serveGated(t);
  const legacy = new Client(
    { name: 'legacy', version: '1' },
    { capabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  );
  t.after(() => legacy.close());
  await legacy.connect(
    new StreamableHTTPClientTransport(new URL(served.url), {
      requestInit: { headers: { Authorization: 'Bearer alice' } },
    }),
  );
  assert.equal(legacy.getProtocolEra(), 'legacy');
  assert.deepEqual(legacy.getServerCapabilities()?.extensions, { [TASKS_EXTENSION]: {} });
  open('legacy');
  const result = await legacy.callTool({ name: 'wait_for', arguments: { label: 'legacy' } });
  assert.deepEqual(result.structuredContent, { label: 'legacy', caller: 'user:alice' });
  const declaring = { [CLIENT_CAPABILITIES_META_KEY]: { extensions: { [TASKS_EXTENSION]: {} } } };
  const perRequest = await legacy.callTool({
    name: 'wait_for',
    arguments: { label: 'legacy' },
    _meta: declaring,
  });
  assert.deepEqual(perRequest.structuredContent, { label: 'legacy', caller: 'user:alice' });
  await assert.rejects(
    legacy.request({ method: 'tasks/get', params: { taskId: 'x', _meta: declaring } }, z.looseObject({})),
    (error) => rpcCode(error) === -32021,
  );
});

test('only a declaring client may ask subscriptions/listen for task notifications; none are promised', async (t) => {
  const { connect } = await serveGated(t);
  const plain = await connect(plainModernClient(), 'alice');
  const taskFilter = { taskIds: ['any'] } as SubscriptionFilter;
  await assert.rejects(plain.listen(taskFilter), (error) => rpcCode(error) === -32021);
  const alice = await connect(new TasksClient(), 'alice');
  const subscription = await alice.listen(taskFilter);
  assert.deepEqual(subscription.honoredFilter, {});
  assert.equal(await subscription.closed, 'graceful');
});
