import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { z } from 'zod';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { DispatchTaskOutput } from '../../schemas/registry/tools.ts';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import type { Task } from '../../schemas/task.ts';
import { signedCard } from '../../servers/registry/testing.ts';
import { startOllamaServer } from '../fixtures/ollama-server.ts';
import { TasksClient, connectHttp, plainModernClient } from '../helpers/tasks-client.ts';
import { agentToken } from '../../bench/hub-fixture.ts';
import { connectClient, modernRequest, startTestHub } from './helpers.ts';

/** The hub with every core server in-process, llm pulling from an Ollama fixture; tasks polled quickly. */
async function tasksHub(t: TestContext) {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const hub = await startTestHub(
    t,
    {
      servers: {
        llm: {
          settings: {
            ollama_host: ollama.url,
            health: { interval_ms: 0 },
            mcp_tasks: { poll_interval_ms: 5 },
          },
        },
        registry: { settings: { taskPollIntervalMs: 5 } },
      },
    },
    { catalogDefaults: true },
  );
  const operator = hub.operatorToken as string;
  /** A 2026-07-28 client of `path` (under /mcp) holding `token`, closed after the test. */
  const connect = async <C extends TasksClient | ReturnType<typeof plainModernClient>>(
    client: C,
    token: string,
    path = '',
  ) => {
    t.after(() => client.close());
    return connectHttp(client, `${hub.mcpUrl}${path}`, token);
  };
  return { hub, ollama, operator, connect };
}

const withoutDuration = (structured: unknown) => ({ ...(structured as object), duration_ms: 0 });

test('pull_ollama_model through the hub: a task at /mcp and /mcp/llm, polled to the blocking result', async (t) => {
  const { ollama, operator, connect } = await tasksHub(t);
  const client = await connect(new TasksClient(), operator);
  assert.ok(client.getServerCapabilities()?.extensions?.[TASKS_EXTENSION], '/mcp advertises the extension');

  const answer = await client.callToolOrTask('llm__pull_ollama_model', { model: 'qwen2.5:0.5b' });
  assert.ok('task' in answer, 'a declaring client gets a task handle');
  assert.match(answer.task.taskId, /^llm__/, 'on /mcp the id names its server');
  const [raw] = client.taskAnswers;
  assert.equal(raw?.['resultType'], 'task');
  assert.equal('content' in (raw ?? {}), false, 'the task answer passes as the server gave it');

  const done = await client.pollTask(answer.task.taskId);
  assert.equal(done.status, 'completed');
  assert.equal(done.taskId, answer.task.taskId);
  const blocking = await connect(plainModernClient(), operator);
  const direct = await blocking.callTool({
    name: 'llm__pull_ollama_model',
    arguments: { model: 'qwen2.5:0.5b' },
  });
  assert.deepEqual(done.result?.['content'], direct.content);
  assert.deepEqual(
    withoutDuration(done.result?.['structuredContent']),
    withoutDuration(direct.structuredContent),
  );
  assert.equal(ollama.requestsTo('/api/pull').length, 2, 'the blocking call ran the pull');

  const single = await connect(new TasksClient(), operator, '/llm');
  assert.ok(single.getServerCapabilities()?.extensions?.[TASKS_EXTENSION]);
  const there = await single.callToolOrTask('pull_ollama_model', { model: 'phi3' });
  assert.ok('task' in there);
  assert.doesNotMatch(there.task.taskId, /__/, "at /mcp/<server> the id is the server's own");
  assert.equal((await single.pollTask(there.task.taskId)).status, 'completed');
  // The same task through /mcp, named for its server.
  assert.equal((await client.getTask(`llm__${there.task.taskId}`)).status, 'completed');

  const identity = await connect(plainModernClient(), operator, '/identity');
  assert.equal(identity.getServerCapabilities()?.extensions?.[TASKS_EXTENSION], undefined);
});

test('a pull task is cancelled through the hub; another caller can neither read nor cancel it', async (t) => {
  const { hub, ollama, operator, connect } = await tasksHub(t);
  // The download announces itself, then waits until the client goes away.
  ollama.script.pull.enqueue({ stepDelayMs: 600_000 });
  const client = await connect(new TasksClient(), operator);
  const other = await connect(new TasksClient(), await agentToken(hub.url, generateIdentityKeys()));
  const answer = await client.callToolOrTask('llm__pull_ollama_model', { model: 'llama3.3:70b' });
  assert.ok('task' in answer);
  const id = answer.task.taskId;
  const started = await client.pollTask(id, (task) => task.statusMessage !== undefined);
  assert.deepEqual([started.status, started.statusMessage], ['working', 'pulling manifest']);

  // An agent without the admin scope may ask (a task is its caller's own), and is told there is no such task.
  await assert.rejects(other.getTask(id), { code: -32602 });
  await assert.rejects(other.cancelTask(id), { code: -32602 });
  await assert.rejects(client.getTask('llm__no-such-task'), { code: -32602 });
  await assert.rejects(client.getTask('nowhere__task'), { code: -32602 });
  assert.equal((await client.getTask(id)).status, 'working');

  await client.cancelTask(id);
  const cancelled = await client.getTask(id);
  assert.equal(cancelled.status, 'cancelled');
  const [pull] = ollama.requestsTo('/api/pull');
  await pull?.closed;
  assert.equal(pull?.aborted, true, 'the download was dropped');
  await client.updateTask(id, {});
});

test('clients that do not declare the extension, and 2025-era sessions, get the blocking call', async (t) => {
  const { hub, operator, connect } = await tasksHub(t);
  const plain = await connect(plainModernClient(), operator);
  const result = await plain.callTool({ name: 'llm__pull_ollama_model', arguments: { model: 'phi3' } });
  assert.equal((result.structuredContent as { status: string }).status, 'success');
  const noTasks = z.looseObject({});
  await assert.rejects(plain.request({ method: 'tasks/get', params: { taskId: 'llm__x' } }, noTasks), {
    code: -32021,
  });
  // Not in this version of the extension (the SDK's client will not even send them).
  for (const method of ['tasks/list', 'tasks/result']) {
    const { response } = await modernRequest(
      hub.mcpUrl,
      { method, params: { taskId: 'llm__x' } },
      { token: operator, capabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    );
    assert.equal(response.error?.code, -32601, method);
  }

  // Declaring the extension in `initialize` changes nothing: 2025-11-25 has tasks of its own.
  const legacy = await connectClient(t, hub.mcpUrl, {
    token: operator,
    capabilities: { extensions: { [TASKS_EXTENSION]: {} } },
  });
  assert.equal(legacy.getServerCapabilities()?.extensions?.[TASKS_EXTENSION], undefined);
  const old = await legacy.callTool({ name: 'llm__pull_ollama_model', arguments: { model: 'phi3' } });
  assert.equal((old.structuredContent as { status: string }).status, 'success');
});

type TaskOut = { task: Task & { message: string | null } };

test('dispatch_task through the hub: a task followed to the finished registry task, cancelled, the requester’s alone', async (t) => {
  const { hub, connect } = await tasksHub(t);
  const [requesterKeys, workerKeys] = [generateIdentityKeys(), generateIdentityKeys()];
  const [requesterToken, workerToken] = [
    await agentToken(hub.url, requesterKeys),
    await agentToken(hub.url, workerKeys),
  ];
  const requester = await connect(new TasksClient(), requesterToken);
  const worker = await connect(new TasksClient(), workerToken);
  const call = async (client: TasksClient, name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    assert.equal(toolErrorOf(result), null, JSON.stringify(result.content));
    return result.structuredContent;
  };
  const now = Date.now();
  await call(requester, 'registry__register_agent', { card: signedCard(requesterKeys, {}, now) });
  await call(worker, 'registry__register_agent', {
    card: signedCard(workerKeys, { capabilities: ['summarize'] }, now),
  });

  const answer = await requester.callToolOrTask('registry__dispatch_task', {
    capability: 'summarize',
    input: { text: 'long' },
  });
  assert.ok('task' in answer, 'a declaring client gets a task handle');
  assert.equal(answer.task.ttlMs, null, 'the registry keeps its tasks');
  const handle = answer.task.taskId;
  assert.match(handle, /^registry__/);
  const id = handle.slice('registry__'.length).split('.')[0] ?? '';
  await assert.rejects(worker.getTask(handle), { code: -32602 }, 'the handle is the requester’s alone');

  await call(worker, 'registry__update_task', { id, state: 'completed', result: { summary: 'short' } });
  const done = await requester.pollTask(handle);
  assert.equal(done.status, 'completed');
  const output = DispatchTaskOutput.parse(done.result?.['structuredContent']);
  const seen = (await call(requester, 'registry__get_task', { id })) as TaskOut;
  assert.deepEqual(output.task, seen.task, 'the finished task, as get_task shows it');

  const single = await connect(new TasksClient(), requesterToken, '/registry');
  assert.equal((await single.getTask(handle.slice('registry__'.length))).status, 'completed');
  const cancelling = await single.callToolOrTask('dispatch_task', { capability: 'summarize', input: null });
  assert.ok('task' in cancelling);
  await single.cancelTask(cancelling.task.taskId);
  assert.equal((await requester.getTask(`registry__${cancelling.task.taskId}`)).status, 'cancelled');
  const [cancelledId] = cancelling.task.taskId.split('.');
  const registryTask = (await call(requester, 'registry__get_task', { id: cancelledId })) as TaskOut;
  assert.equal(registryTask.task.state, 'canceled');

  const plain = await connect(plainModernClient(), requesterToken);
  const blocking = await plain.callTool({
    name: 'registry__dispatch_task',
    arguments: { capability: 'summarize', input: { text: 'again' } },
  });
  const dispatched = DispatchTaskOutput.parse(blocking.structuredContent);
  assert.equal(
    dispatched.task.state,
    'submitted',
    'a client without the extension gets the dispatch at once',
  );
  assert.equal(output.registry_did, dispatched.registry_did);
});
