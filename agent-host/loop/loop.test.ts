import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseHubConfig } from '../../hub/config.ts';
import { callTool } from '../../lib/clients/call-tool.ts';
import { startHub } from '../../hub/hub.ts';
import { PlexusError } from '../../lib/errors.ts';
import { createIdentityFile } from '../../lib/identity/identity-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { QueryEpisodesOutput } from '../../schemas/memory/episodes.ts';
import { RecallOutput } from '../../schemas/memory/notes.ts';
import { startOllamaServer, type OllamaFixture } from '../../test/fixtures/ollama-server.ts';
import type { AgentContext, AssignedTask } from '../brain.ts';
import { HubSession } from '../hub-session.ts';
import { LocalTools } from '../../lib/mcp/local-tools.ts';
import { ensureIdentityRegistered } from '../registration.ts';
import { createBrain, NO_LLM_PREFIX } from './index.ts';
import { chat } from './llm.ts';
import type { LoopSettings } from './settings.ts';

const FILESYSTEM = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-filesystem/dist/index.js',
);

interface Setup {
  ctx: AgentContext;
  /** Aborts `ctx.signal`, as a cancel or shutdown does. */
  cancel: AbortController;
  replies: { to: string; text: string; thread: string | undefined }[];
  files: string;
  brain: ReturnType<typeof createBrain>;
  session: HubSession;
}

/** A real hub (llm pointed at `ollamaUrl`), an agent identity with a hub session, the filesystem tool, a brain. */
async function setup(
  t: TestContext,
  ollamaUrl: string,
  settings: Partial<LoopSettings> = {},
  role = 'assistant',
): Promise<Setup> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-loop-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const llm = {
    ollama_host: ollamaUrl,
    retries: { max_retries: 0 },
    health: { interval_ms: 0 },
  };
  const config = parseHubConfig({
    port: 0,
    dataDir: path.join(root, 'hub'),
    logLevel: 'silent',
    servers: { llm: { settings: llm } },
  });
  const hub = await startHub({ config, log: silentLogger });
  t.after(() => hub.close());
  const identityFile = path.join(root, 'identity.json');
  const identity = createIdentityFile(identityFile, { name: 'tester', role, capabilities: ['files'] });
  const session = new HubSession({ hubUrl: hub.url, identity, log: silentLogger, timeoutMs: 30_000 });
  t.after(() => session.close());
  await session.open();
  await ensureIdentityRegistered(session, identityFile, identity, silentLogger);
  await session.servers.registry.registerAgent({ card: identity.card });
  const files = path.join(root, 'files');
  fs.mkdirSync(files);
  fs.writeFileSync(path.join(files, 'note.txt'), 'the launch code is 4711\n');
  const tools = new LocalTools(silentLogger);
  t.after(() => tools.close());
  await tools.start(
    { filesystem: { command: process.execPath, args: [FILESYSTEM, files], env: {}, disabled: false } },
    30_000,
  );
  const replies: Setup['replies'] = [];
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(dataDir);
  const cancel = new AbortController();
  const ctx: AgentContext = {
    did: identity.did,
    name: 'tester',
    role,
    tools: tools.toolsWith(() => session.client),
    hub: session.client,
    reply: (to, text, thread) => {
      replies.push({ to, text, thread });
      return Promise.resolve();
    },
    signal: cancel.signal,
    log: silentLogger,
    dataDir,
  };
  const brain = createBrain({
    did: identity.did,
    name: 'tester',
    role,
    dataDir,
    log: silentLogger,
    signer: { did: identity.did, secretKey: identity.keys.signing.secretKey },
    settings: { syncIntervalMs: 0, ...settings },
  });
  t.after(() => brain.close());
  return { ctx, cancel, replies, files, brain, session };
}

async function fixture(t: TestContext): Promise<OllamaFixture> {
  const ollama = await startOllamaServer();
  t.after(() => ollama.close());
  return ollama;
}

function task(input: AssignedTask['input'], extra: Partial<AssignedTask> = {}): AssignedTask {
  return {
    id: '01900000-0000-7000-8000-000000000001',
    capability: 'files',
    input,
    requester: 'did:key:z6MkrequesterXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    ...extra,
  };
}

/** The messages of the nth /api/chat request the fixture saw. */
function chatMessages(ollama: OllamaFixture, n: number): { role: string; content: string }[] {
  const request = ollama.requestsTo('/api/chat')[n];
  assert.ok(request, `chat request ${n} was made`);
  return (request.body as { messages: { role: string; content: string }[] }).messages;
}

test('a task the model solves with the local filesystem tool completes with the file content', async (t) => {
  const ollama = await fixture(t);
  const s = await setup(t, ollama.url);
  const file = path.join(fs.realpathSync(s.files), 'note.txt');
  ollama.script.chat.enqueue(
    { toolCalls: [{ name: 'filesystem__read_text_file', arguments: { path: file } }] },
    (req) => {
      const messages = (req.body as { messages: { role: string; content: string }[] }).messages;
      const tool = messages.find((m) => m.role === 'tool');
      return { content: `The file says: ${tool?.content.trim() ?? '(nothing)'}` };
    },
  );
  const outcome = await s.brain.onTask(task('What is the launch code in note.txt?'), s.ctx);
  assert.equal(outcome.state, 'completed');
  assert.ok(outcome.state === 'completed');
  const result = outcome.result as { answer: string; steps: number; tool_calls: string[] };
  assert.equal(result.answer, 'The file says: the launch code is 4711');
  assert.equal(result.steps, 2);
  assert.deepEqual(result.tool_calls, ['filesystem__read_text_file']);
  // The model was offered the filesystem tool and the loop's own remember_fact, never the llm itself.
  const offered = (
    ollama.requestsTo('/api/chat')[0]?.body as { tools: { function: { name: string } }[] }
  ).tools.map((tool) => tool.function.name);
  assert.ok(offered.includes('filesystem__read_text_file'));
  assert.ok(offered.includes('remember_fact'));
  assert.ok(offered.includes('hub__registry__find_agents'));
  assert.ok(!offered.some((name) => name.startsWith('hub__llm__')));
  assert.match(chatMessages(ollama, 0)[0]?.content ?? '', /You are tester/);
  // Episodes: the task, the tool call, the outcome.
  const episodes = await s.brain.memory.episodes(`task:${task(null).id}`);
  assert.deepEqual(
    episodes.map((e) => e.role),
    ['user', 'tool', 'assistant'],
  );
  assert.match(episodes[1]?.content ?? '', /4711/);
  // The outcome is kept as a fact and recalled into the next prompt.
  const hits = await s.brain.memory.recall('launch code', 3);
  assert.ok(hits.some((hit) => hit.text.includes('4711')));
});

test('the step budget stops a model that keeps calling tools', async (t) => {
  const ollama = await fixture(t);
  const s = await setup(t, ollama.url, { maxSteps: 3 });
  ollama.script.chat.always({ toolCalls: [{ name: 'filesystem__list_allowed_directories', arguments: {} }] });
  const outcome = await s.brain.onTask(task('loop forever'), s.ctx);
  assert.equal(outcome.state, 'failed');
  assert.ok(outcome.state === 'failed');
  assert.match(outcome.error, /step budget exceeded/);
  assert.equal(ollama.requestsTo('/api/chat').length, 3);
  const tools = (await s.brain.memory.episodes(`task:${task(null).id}`)).filter((e) => e.role === 'tool');
  assert.equal(tools.length, 3);
});

test('the time budget aborts a model that never answers', async (t) => {
  const ollama = await fixture(t);
  const s = await setup(t, ollama.url, { timeBudgetMs: 300 });
  // Only the budget can end this task: without it the test would wait out its timeout.
  ollama.script.chat.always({ hang: true });
  const outcome = await s.brain.onTask(task('think slowly'), s.ctx);
  assert.equal(outcome.state, 'failed');
  assert.ok(outcome.state === 'failed');
  assert.match(outcome.error, /time budget exceeded/);
});

test('a canceled task stops waiting for the model at once', async (t) => {
  const ollama = await fixture(t);
  const s = await setup(t, ollama.url);
  ollama.script.chat.always({ content: 'too late', delayMs: 60_000 });
  const outcome = s.brain.onTask(task('think slowly'), s.ctx);
  while (ollama.requestsTo('/api/chat').length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  s.cancel.abort();
  // Without the abort this would wait out the model's minute (and the test's timeout).
  const ended = await outcome;
  assert.equal(ended.state, 'failed');
  assert.ok(ended.state === 'failed');
  assert.equal(ended.error, 'canceled');
});

test('a role without a tool on its allow-list cannot call it, even from an explicit task', async (t) => {
  const ollama = await fixture(t);
  const s = await setup(t, ollama.url, {}, 'researcher');
  const outcome = await s.brain.onTask(
    task({ tool: 'filesystem__write_file', arguments: { path: path.join(s.files, 'x.txt'), content: 'x' } }),
    s.ctx,
  );
  assert.equal(outcome.state, 'failed');
  assert.ok(outcome.state === 'failed');
  assert.match(outcome.error, /not allowed for this agent's role/);
  assert.equal(fs.existsSync(path.join(s.files, 'x.txt')), false);
});

test('without an LLM: messages get a clear note, model tasks fail clearly, explicit tool calls still run', async (t) => {
  // Nothing listens on this port: the llm router has no reachable backend.
  const closed = await startOllamaServer();
  const url = closed.url;
  await closed.close();
  const s = await setup(t, url);

  await s.brain.onMessage(
    {
      id: 'm1',
      from: 'did:key:z6Mkpeer',
      fromName: 'peer',
      text: 'hello there',
      content: { text: 'hello there' },
      receivedAt: Date.now(),
    },
    s.ctx,
  );
  assert.equal(s.replies.length, 1);
  assert.ok(s.replies[0]?.text.startsWith(NO_LLM_PREFIX));
  assert.match(s.replies[0]?.text ?? '', /cannot think/);
  // A no-LLM note is never answered (two model-less agents do not ping-pong).
  await s.brain.onMessage(
    { id: 'm2', from: 'did:key:z6Mkpeer', text: `${NO_LLM_PREFIX} x`, content: {}, receivedAt: Date.now() },
    s.ctx,
  );
  assert.equal(s.replies.length, 1);
  const chatEpisodes = await s.brain.memory.episodes('chat:did:key:z6Mkpeer');
  assert.deepEqual(
    chatEpisodes.map((e) => e.role),
    ['user', 'assistant', 'user'],
  );

  const thinking = await s.brain.onTask(task('summarize the news'), s.ctx);
  assert.equal(thinking.state, 'failed');
  assert.ok(thinking.state === 'failed');
  assert.match(thinking.error, /no LLM available/);

  const file = path.join(fs.realpathSync(s.files), 'note.txt');
  const explicit = await s.brain.onTask(
    task(
      [
        { tool: 'filesystem__read_text_file', arguments: { path: file } },
        { tool: 'hub__registry__find_agents', arguments: { capability: 'files' } },
      ],
      { id: '01900000-0000-7000-8000-000000000002' },
    ),
    s.ctx,
  );
  assert.equal(explicit.state, 'completed');
  assert.ok(explicit.state === 'completed');
  const results = (
    explicit.result as {
      results: { tool: string; text: string; structured?: { agents: { did: string }[] } }[];
    }
  ).results;
  assert.match(results[0]?.text ?? '', /4711/);
  assert.ok(results[1]?.structured?.agents.some((a) => a.did === s.ctx.did));
});

for (const syncPrivate of [false, true]) {
  test(`memory syncs with the federation through the hub; private memory ${syncPrivate ? 'too, when asked' : 'stays local'}`, async (t) => {
    const ollama = await fixture(t);
    const s = await setup(t, ollama.url, { syncIntervalMs: 60_000, syncPrivate });
    for (const [text, share] of [
      ['the demo password is swordfish', 'public'],
      ['the vault code is 8086', 'private'],
    ] as const) {
      const outcome = await s.brain.onTask(
        task({ tool: 'remember_fact', arguments: { text, share } }),
        s.ctx,
      );
      assert.equal(outcome.state, 'completed');
    }
    await s.brain.syncNow();
    const memory = (tool: string) => ({ server: 'memory', tool: `memory__${tool}` });
    const recall = (query: string) => callTool(s.session, memory('recall'), { query }, RecallOutput);
    const recalled = await recall('demo password');
    assert.ok(
      recalled.items.some((item) => item.text.includes('swordfish') && item.provenance.author === s.ctx.did),
    );
    // The federation answers its author with private records too, so absence means they were never pushed.
    const vault = (await recall('vault code')).items.some((item) => item.text.includes('8086'));
    assert.equal(vault, syncPrivate);
    const { episodes } = await callTool(s.session, memory('query_episodes'), {}, QueryEpisodesOutput);
    assert.equal(episodes.length > 0, syncPrivate, 'task episodes are private');
  });
}

test('a hub without the llm server means no LLM: the hub names its chat tool unknown', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-loop-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const config = parseHubConfig({
    port: 0,
    dataDir: root,
    logLevel: 'silent',
    auth: { enabled: false },
    servers: { llm: { enabled: false } },
  });
  const hub = await startHub({ config, log: silentLogger });
  t.after(() => hub.close());
  const session = new HubSession({ hubUrl: hub.url, log: silentLogger, timeoutMs: 10_000 });
  t.after(() => session.close());
  await session.open();
  const refused = await chat(session.client, { messages: [{ role: 'user', content: 'hi' }] }, t.signal).catch(
    (e: unknown) => e,
  );
  assert.ok(refused instanceof PlexusError, String(refused));
  assert.equal(refused.code, 'no_llm');
});
