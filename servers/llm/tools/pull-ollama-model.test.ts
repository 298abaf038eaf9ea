import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { silentLogger } from '../../../lib/log.ts';
import { serveHttp } from '../../../lib/mcp/serve-http.ts';
import { startOllamaServer } from '../../../test/fixtures/ollama-server.ts';
import { TasksClient, connectHttp, plainModernClient } from '../../../test/helpers/tasks-client.ts';
import { createLlmComponent } from '../component.ts';

/** The llm component over HTTP (both eras); every token names an operator holding the admin scope. */
async function serveLlm(t: TestContext) {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  const component = await createLlmComponent({
    dataDir: '',
    log: silentLogger,
    now: Date.now,
    settings: { ollama_host: ollama.url, health: { interval_ms: 0 }, mcp_tasks: { poll_interval_ms: 5 } },
    connect: () => Promise.reject(new Error('the llm server needs no siblings')),
  });
  t.after(() => component.close());
  const served = await serveHttp(component, {
    verifyToken: async (token) => ({ token, clientId: `operator:${token}`, scopes: ['admin'] }),
    log: silentLogger,
  });
  t.after(() => served.close());
  const connect = async <C extends Client>(client: C, token: string) => {
    t.after(() => client.close());
    return connectHttp(client, served.url, token);
  };
  return { ollama, connect };
}

test('pull_ollama_model runs as a task for a declaring client and ends with the blocking result', async (t) => {
  const { ollama, connect } = await serveLlm(t);
  const admin = await connect(new TasksClient(), 'admin');
  const answer = await admin.callToolOrTask('pull_ollama_model', { model: 'qwen2.5:0.5b' });
  assert.ok('task' in answer, 'a declaring client gets a task handle');
  assert.equal(answer.task.status, 'working');

  const done = await admin.pollTask(answer.task.taskId);
  assert.equal(done.status, 'completed');
  assert.equal(done.statusMessage, 'success', "the pull's last progress line");
  assert.ok(ollama.models.some((m) => m.name === 'qwen2.5:0.5b'));

  const blocking = await connect(plainModernClient(), 'admin');
  const direct = await blocking.callTool({ name: 'pull_ollama_model', arguments: { model: 'qwen2.5:0.5b' } });
  const withoutDuration = (structured: unknown) => ({ ...(structured as object), duration_ms: 0 });
  assert.deepEqual(done.result?.['content'], direct.content);
  assert.deepEqual(
    withoutDuration(done.result?.['structuredContent']),
    withoutDuration(direct.structuredContent),
  );
  assert.equal((direct.structuredContent as { total_bytes: number }).total_bytes, 1000);
  assert.equal(ollama.requestsTo('/api/pull').length, 2);
});

test('cancelling a pull task stops the download; another operator cannot see or cancel it', async (t) => {
  const { ollama, connect } = await serveLlm(t);
  // The download announces itself, then waits until the client goes away.
  ollama.script.pull.enqueue({ stepDelayMs: 600_000 });
  const admin = await connect(new TasksClient(), 'admin');
  const other = await connect(new TasksClient(), 'other');
  const answer = await admin.callToolOrTask('pull_ollama_model', { model: 'llama3.3:70b' });
  assert.ok('task' in answer);
  const id = answer.task.taskId;
  const started = await admin.pollTask(id, (task) => task.statusMessage !== undefined);
  assert.deepEqual([started.status, started.statusMessage], ['working', 'pulling manifest']);

  await assert.rejects(other.getTask(id), { code: -32602 });
  await assert.rejects(other.cancelTask(id), { code: -32602 });
  assert.equal((await admin.getTask(id)).status, 'working');

  await admin.cancelTask(id);
  const cancelled = await admin.getTask(id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.result, undefined);
  const [pull] = ollama.requestsTo('/api/pull');
  await pull?.closed;
  assert.deepEqual([pull?.aborted, pull?.finished], [true, false], 'the download was dropped');
});

test('a client that does not declare the extension gets the blocking pull', async (t) => {
  const { connect } = await serveLlm(t);
  const plain = await connect(plainModernClient(), 'admin');
  const result = await plain.callTool({ name: 'pull_ollama_model', arguments: { model: 'phi3' } });
  assert.equal((result.structuredContent as { status: string }).status, 'success');
});
