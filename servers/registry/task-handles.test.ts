import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../../lib/log.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { serveHttp } from '../../lib/mcp/serve-http.ts';
import { DispatchTaskOutput } from '../../schemas/registry/tools.ts';
import type { Task } from '../../schemas/task.ts';
import { TasksClient, connectHttp, plainModernClient } from '../../test/helpers/tasks-client.ts';
import { call, registeredAgent, startRegistry } from './testing.ts';

type TaskOut = { task: Task & { message: string | null } };

/** The registry over HTTP (both eras), with an agent that offers `summarize`; a token is its agent's DID, base64url. */
async function serveRegistry(t: TestContext) {
  const h = await startRegistry(t, { settings: { taskPollIntervalMs: 5 } });
  const served = await serveHttp(h.registry, {
    verifyToken: async (token) => ({
      token,
      clientId: Buffer.from(token, 'base64url').toString(),
      scopes: ['read', 'write'],
    }),
    log: silentLogger,
  });
  t.after(() => served.close());
  const requester = await registeredAgent(h);
  const worker = await registeredAgent(h, { capabilities: ['summarize'] });
  const connect = async <C extends Client>(client: C, did: string) => {
    t.after(() => client.close());
    return connectHttp(client, served.url, Buffer.from(did).toString('base64url'));
  };
  return { h, requester, worker, connect };
}

describe('dispatch_task as an MCP task', () => {
  it('follows the registry task to the end and answers what dispatch_task answers', async (t) => {
    const { requester, worker, connect } = await serveRegistry(t);
    const client = await connect(new TasksClient(), requester.did);
    const answer = await client.callToolOrTask('dispatch_task', {
      capability: 'summarize',
      input: { text: 'long' },
    });
    assert.ok('task' in answer, 'a declaring client gets a task handle');
    const handle = answer.task.taskId;
    assert.equal(answer.task.status, 'working');
    assert.equal(answer.task.ttlMs, null, 'the registry keeps its tasks');
    assert.match(
      answer.task.statusMessage ?? '',
      new RegExp(`^submitted \\(${worker.did}, attempt 1 of 3\\)`),
    );

    const [id] = handle.split('.');
    assert.ok(id);
    await call(worker.client, 'update_task', { id, state: 'input-required', message: 'which language?' });
    const asking = await client.getTask(handle);
    assert.equal(asking.status, 'working', "the assignee's question goes to the requester, not the client");
    assert.match(asking.statusMessage ?? '', /^input-required .*: which language\?$/);

    await call(worker.client, 'update_task', { id, state: 'completed', result: { summary: 'short' } });
    const done = await client.pollTask(handle);
    assert.equal(done.status, 'completed');
    const output = DispatchTaskOutput.parse(done.result?.['structuredContent']);
    const seen = await call<TaskOut>(requester.client, 'get_task', { id });
    assert.deepEqual(output.task, seen.task, 'the finished task, as get_task shows it');
    assert.deepEqual(output.task.result, { summary: 'short' });

    const blocking = await connect(plainModernClient(), requester.did);
    const direct = await blocking.callTool({
      name: 'dispatch_task',
      arguments: { capability: 'summarize', input: { text: 'again' } },
    });
    const dispatched = DispatchTaskOutput.parse(direct.structuredContent);
    assert.equal(
      dispatched.task.state,
      'submitted',
      'a client without the extension gets the dispatch at once',
    );
    assert.equal(output.registry_did, dispatched.registry_did);
  });

  it('a failed task completes with the error; cancel cancels the registry task; handles are the requester’s', async (t) => {
    const { requester, worker, connect } = await serveRegistry(t);
    const client = await connect(new TasksClient(), requester.did);
    const asWorker = await connect(new TasksClient(), worker.did);
    const dispatch = async () => {
      const answer = await client.callToolOrTask('dispatch_task', { capability: 'summarize', input: null });
      assert.ok('task' in answer);
      const [id] = answer.task.taskId.split('.');
      return { handle: answer.task.taskId, id: id ?? '' };
    };

    const failing = await dispatch();
    await call(worker.client, 'update_task', {
      id: failing.id,
      state: 'failed',
      error: { code: 'too_long', message: 'the text is too long' },
    });
    const failed = await client.getTask(failing.handle);
    assert.equal(failed.status, 'completed', 'the work failed, not the protocol');
    assert.equal(failed.result?.['isError'], true);
    assert.equal(toolErrorOf(failed.result)?.code, 'too_long');

    const cancelling = await dispatch();
    // The assignee can read the registry task, but the handle is the requester's alone.
    await call(worker.client, 'get_task', { id: cancelling.id });
    await assert.rejects(asWorker.getTask(cancelling.handle), { code: -32602 });
    await assert.rejects(asWorker.cancelTask(cancelling.handle), { code: -32602 });
    await assert.rejects(client.getTask(cancelling.id), { code: -32602 }, 'a bare task id is no handle');
    await assert.rejects(client.getTask(`${cancelling.id}.${'A'.repeat(22)}`), { code: -32602 });

    await client.cancelTask(cancelling.handle);
    assert.equal((await client.getTask(cancelling.handle)).status, 'cancelled');
    const registryTask = await call<TaskOut>(requester.client, 'get_task', { id: cancelling.id });
    assert.equal(registryTask.task.state, 'canceled');
    await client.cancelTask(cancelling.handle);

    const unserved = await client.callToolOrTask('dispatch_task', { capability: 'paint', input: null });
    assert.ok('result' in unserved, 'a dispatch that fails is answered at once, without a task');
    assert.equal(toolErrorOf(unserved.result)?.code, 'no_agent_available');
  });
});
