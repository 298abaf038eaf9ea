import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIdentityFile } from '../lib/identity/identity-file.ts';
import { silentLogger } from '../lib/log.ts';
import {
  startOllamaServer,
  type OllamaFixture,
  type RecordedRequest,
} from '../test/fixtures/ollama-server.ts';
import { initAgent, launch, runCli, stop, type Proc, agentLogLine } from '../test/helpers/plexus-process.ts';
import { HubSession } from './hub-session.ts';

/**
 * A hub and three agents as real processes, thinking with a scripted Ollama: the hub's llm router reaches the
 * fixture through OLLAMA_HOST, and each agent's loop asks the router with its local and hub tools. A task
 * dispatched through the registry is solved by a model tool call that the reference filesystem server runs.
 */
const WAIT_MS = 60_000;
const REPORT = 'Q3 sales grew 12% to 4.2M; churn fell to 3.1%.';
const READ_TOOL = 'filesystem__read_text_file';

interface OllamaChat {
  messages: { role: string; content: string }[];
  tools?: { function: { name: string } }[];
}

const chatOf = (request: RecordedRequest | undefined): OllamaChat => {
  assert.ok(request, 'the chat request was made');
  return request.body as OllamaChat;
};

interface AgentSpec {
  name: string;
  role: string;
  capability: string;
  /** Only bob runs the default local tools (the reference filesystem server and `system`). */
  tools: boolean;
}

const AGENTS: AgentSpec[] = [
  { name: 'alice', role: 'assistant', capability: 'coordinate', tools: false },
  { name: 'bob', role: 'worker', capability: 'files', tools: true },
  { name: 'carol', role: 'worker', capability: 'review', tools: false },
];

describe('three agents thinking with a scripted model, end to end', { timeout: 900_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-agents-llm-e2e-'));
  const passphrase = `e2e-${process.pid}`;
  const procs: Proc[] = [];
  const dids = new Map<string, string>();
  const running = new Map<string, Proc>();
  const sessions: HubSession[] = [];
  let ollama: OllamaFixture;
  let hubUrl = '';
  let report = '';

  const agentEnv = () => ({
    PLEXUS_HUB: hubUrl,
    PLEXUS_PASSPHRASE: passphrase,
    PLEXUS_RECONNECT_INTERVAL_MS: '200',
    PLEXUS_INBOX_POLL_MS: '200',
  });

  function agent(name: string): { did: string; proc: Proc } {
    const did = dids.get(name);
    const proc = running.get(name);
    assert.ok(did && proc, `${name} is running`);
    return { did, proc };
  }

  /** A hub session acting with an agent's own identity, as `plexus agent send` does beside a running agent. */
  async function sessionAs(name: string): Promise<HubSession> {
    const identity = loadIdentityFile(path.join(root, name, 'identity.json'), { passphrase });
    const session = new HubSession({ hubUrl, identity, log: silentLogger, timeoutMs: 30_000 });
    sessions.push(session);
    await session.open();
    return session;
  }

  async function findAgents(session: HubSession, capability: string): Promise<string[]> {
    const found = await session.servers.registry.findAgents({ capability });
    return found.agents.map((a) => a.did);
  }

  async function settled(session: HubSession, id: string) {
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const { task } = await session.servers.registry.getTask({ id });
      if (['completed', 'failed', 'canceled', 'rejected'].includes(task.state)) return task;
      if (Date.now() > until) assert.fail(`task ${id} still ${task.state} after ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  before(
    async () => {
      ollama = await startOllamaServer();
      const hub = launch(
        ['hub', '--port', '0', '--data', path.join(root, 'hub'), '--log-level', 'warn'],
        { OLLAMA_HOST: ollama.url },
        root,
      );
      procs.push(hub);
      hubUrl =
        /listening on (http:\/\/\S+)/.exec(await hub.waitFor(/listening on (http:\/\/\S+)/))?.[1] ?? '';

      for (const spec of AGENTS) {
        const did = await initAgent(root, spec.name, {
          passphrase,
          args: ['--role', spec.role, '--capability', spec.capability],
          config: { defaultTools: spec.tools },
        });
        fs.writeFileSync(
          path.join(root, spec.name, 'loop.json'),
          JSON.stringify({ syncIntervalMs: 0, maxAutomatedRepliesPerThread: 2 }),
        );
        dids.set(spec.name, did);
      }
      const files = path.join(root, 'bob', 'files');
      fs.mkdirSync(files, { recursive: true });
      report = path.join(fs.realpathSync(files), 'report.txt');
      fs.writeFileSync(report, `${REPORT}\n`);

      for (const spec of AGENTS) {
        const proc = launch(['agent', 'start', '--dir', spec.name], agentEnv(), root);
        procs.push(proc);
        running.set(spec.name, proc);
      }
      for (const spec of AGENTS) await agent(spec.name).proc.waitFor(/^agent ready/);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    for (const session of sessions) await session.close();
    for (const proc of procs.reverse()) await stop(proc);
    await ollama?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a task dispatched by capability is done by the model calling the filesystem tool', async () => {
    const alice = await sessionAs('alice');
    const bob = agent('bob');
    assert.deepEqual(await findAgents(alice, 'files'), [bob.did]);

    // The model first reads the file, then answers with what the tool gave back.
    ollama.script.chat.enqueue({ toolCalls: [{ name: READ_TOOL, arguments: { path: report } }] }, (req) => {
      const tool = chatOf(req).messages.find((m) => m.role === 'tool');
      return { content: `The report says: ${tool?.content.trim() ?? '(nothing)'}` };
    });
    const chatsBefore = ollama.requestsTo('/api/chat').length;
    const question = 'What does report.txt say about Q3 sales?';
    const { task } = await alice.servers.registry.dispatchTask({ capability: 'files', input: question });
    const done = await settled(alice, task.id);

    assert.equal(done.state, 'completed', JSON.stringify(done));
    assert.equal(done.assignee, bob.did);
    assert.equal(done.requester, agent('alice').did);
    const result = done.result as { answer: string; steps: number; tool_calls: string[]; model: string };
    assert.equal(result.answer, `The report says: ${REPORT}`);
    assert.equal(result.steps, 2);
    assert.deepEqual(result.tool_calls, [READ_TOOL]);
    assert.match(result.model, /^llama3\.2/);
    await bob.proc.waitFor(new RegExp(`^task ${task.id} completed$`));

    // Exactly the two model calls of the task reached Ollama: the question with the tools, then the file.
    const chats = ollama.requestsTo('/api/chat').slice(chatsBefore);
    assert.equal(chats.length, 2);
    const first = chatOf(chats[0]);
    assert.ok(first.messages.some((m) => m.role === 'user' && m.content === question));
    const offered = (first.tools ?? []).map((tool) => tool.function.name);
    assert.ok(offered.includes(READ_TOOL), `offered: ${offered.join(', ')}`);
    assert.ok(offered.includes('hub__registry__find_agents'));
    assert.ok(!offered.some((name) => name.startsWith('hub__llm__')));
    const toolMessages = chatOf(chats[1]).messages.filter((m) => m.role === 'tool');
    assert.equal(toolMessages.length, 1);
    assert.equal(toolMessages[0]?.content.trim(), REPORT);
  });

  test('carol finds bob by capability, and his model-made answer to her message reaches her', async () => {
    const carol = agent('carol');
    const bob = agent('bob');
    const session = await sessionAs('carol');
    const [found, ...others] = await findAgents(session, 'files');
    assert.equal(found, bob.did);
    assert.deepEqual(others, []);

    const chatsBefore = ollama.requestsTo('/api/chat').length;
    const bobFrom = bob.proc.lines.length;
    const carolFrom = carol.proc.lines.length;
    const text = 'Hi bob, can you check the Q3 numbers?';
    const sent = await runCli(['agent', 'send', '--dir', 'carol', '--to', found, text], agentEnv(), root);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(await bob.proc.waitFor(/^message from carol: /, bobFrom), `message from carol: ${text}`);
    // bob's loop asked the model (the fixture echoes the last user turn) and replied end to end.
    assert.equal(
      await carol.proc.waitFor(/^message from bob: /, carolFrom),
      `message from bob: echo: ${text}`,
    );
    const asked = chatOf(ollama.requestsTo('/api/chat')[chatsBefore]);
    assert.equal(asked.messages.at(-1)?.content, text);
    assert.match(asked.messages[0]?.content ?? '', /You are bob .*chatting with carol/s);
  });

  const logLine = (name: string, match: (line: Record<string, unknown>) => boolean) =>
    agentLogLine(path.join(root, name), match);

  /** The model calls made in one thread: the fixture echoes, so each carries the first message's marker. */
  const chatsAbout = (marker: string): number =>
    ollama.requestsTo('/api/chat').filter((r) => chatOf(r).messages.at(-1)?.content.includes(marker)).length;

  test('two model-driven agents: an automated reply that asks nothing is not answered', async () => {
    const marker = `note-${process.pid}`;
    const sent = await runCli(
      [
        'agent',
        'send',
        '--dir',
        'alice',
        '--to',
        'bob',
        '--thread',
        marker,
        `The Q4 plan is ready (${marker}).`,
      ],
      agentEnv(),
      root,
    );
    assert.equal(sent.code, 0, sent.stderr);
    const kept = await logLine(
      'alice',
      (l) => l['msg'] === 'kept without answering' && l['thread'] === marker,
    );
    assert.equal(kept['reason'], 'an automated reply that asks nothing');
    assert.equal(chatsAbout(marker), 1, "only bob's model answered alice");
  });

  test('two model-driven agents asking each other stop within the per-thread budget', async () => {
    const marker = `ask-${process.pid}`;
    const sent = await runCli(
      [
        'agent',
        'send',
        '--dir',
        'alice',
        '--to',
        'bob',
        '--thread',
        marker,
        `Can you check the Q4 plan (${marker})?`,
      ],
      agentEnv(),
      root,
    );
    assert.equal(sent.code, 0, sent.stderr);
    // Every echoed reply asks again: bob answers alice, then each answers the other twice, then alice stops.
    const kept = await logLine(
      'alice',
      (l) => l['msg'] === 'kept without answering' && l['thread'] === marker,
    );
    assert.match(String(kept['reason']), /budget of 2 answers to automated replies is spent/);
    assert.equal(chatsAbout(marker), 5);
  });
});
