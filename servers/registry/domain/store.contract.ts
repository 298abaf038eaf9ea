import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { AgentRecord, RegistryStore, TaskRecord, ToolRecord } from './store.ts';

export type MakeRegistryStore = (t: TestContext) => Promise<RegistryStore | null>;

function agent(did: string, overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    did,
    name: `agent ${did}`,
    role: 'worker',
    capabilities: ['summarize'],
    card: { did, name: `agent ${did}`, signature: 'sig' },
    status: 'online',
    load: 0,
    activeTasks: 0,
    lastHeartbeat: 1000,
    registeredAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

function tool(id: string, overrides: Partial<ToolRecord> = {}): ToolRecord {
  return {
    id,
    kind: 'manifest',
    name: `tool-${id}`,
    version: '1.0.0',
    description: 'does things',
    capabilities: [],
    author: 'did:key:author',
    entry: { name: `tool-${id}` },
    packageSha256: null,
    packageBytes: null,
    publishedAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

function task(id: string, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    capability: 'summarize',
    input: { text: 'hello' },
    requester: 'did:key:req',
    assignee: 'did:key:a',
    state: 'submitted',
    preferredAgents: [],
    assignees: ['did:key:a'],
    attempts: 1,
    maxAttempts: 3,
    attemptTimeoutMs: 60_000,
    deadline: 61_000,
    result: null,
    error: null,
    message: null,
    history: [{ state: 'submitted', at: 1000, by: 'service:registry' }],
    createdAt: 1000,
    updatedAt: 1000,
    version: 1,
    ...overrides,
  };
}

/** The behaviour every RegistryStore implementation must show; run by each implementation's test file. */
export function runRegistryStoreContract(name: string, makeStore: MakeRegistryStore): void {
  async function open(t: TestContext): Promise<RegistryStore | null> {
    const store = await makeStore(t);
    if (store) t.after(() => store.close());
    return store;
  }

  describe(`${name}: agents`, () => {
    it('stores, replaces and finds agents by capability, role, name and status', async (t) => {
      const store = await open(t);
      if (!store) return;
      await store.putAgent(agent('did:key:a', { capabilities: ['summarize', 'translate'], name: 'Alpha' }));
      await store.putAgent(agent('did:key:b', { role: 'planner', name: 'Beta', status: 'stale' }));
      await store.putAgent(agent('did:key:c', { capabilities: ['translate'], name: 'Gamma' }));
      const replaced = await store.putAgent(
        agent('did:key:a', { capabilities: ['translate'], name: 'Alpha 2', registeredAt: 5000 }),
      );
      assert.deepEqual(replaced.capabilities, ['translate']);
      assert.equal(replaced.registeredAt, 1000, 'a re-registration keeps the first registration time');
      assert.equal(replaced.name, 'Alpha 2');

      const dids = (rows: AgentRecord[]): string[] => rows.map((r) => r.did);
      assert.deepEqual(dids(await store.findAgents({ capability: 'translate', limit: 10 })), [
        'did:key:a',
        'did:key:c',
      ]);
      assert.deepEqual(dids(await store.findAgents({ capability: 'summarize', limit: 10 })), ['did:key:b']);
      assert.deepEqual(dids(await store.findAgents({ role: 'planner', limit: 10 })), ['did:key:b']);
      assert.deepEqual(dids(await store.findAgents({ name: 'GAM', limit: 10 })), ['did:key:c']);
      assert.deepEqual(dids(await store.findAgents({ statuses: ['stale'], limit: 10 })), ['did:key:b']);
      assert.deepEqual(dids(await store.findAgents({ after: 'did:key:a', limit: 1 })), ['did:key:b']);
      assert.equal(await store.getAgent('did:key:zzz'), null);
    });

    it('records heartbeats, transitions only from the expected status, lists silent agents', async (t) => {
      const store = await open(t);
      if (!store) return;
      assert.equal(
        await store.recordHeartbeat('did:key:none', { status: 'online', load: 0, activeTasks: 0, at: 1 }),
        null,
      );
      await store.putAgent(agent('did:key:a', { status: 'stale' }));
      const beat = await store.recordHeartbeat('did:key:a', {
        status: 'online',
        load: 0.5,
        activeTasks: 2,
        at: 9000,
      });
      assert.equal(beat?.before, 'stale');
      assert.equal(beat?.after.status, 'online');
      assert.equal(beat?.after.load, 0.5);
      assert.equal(beat?.after.activeTasks, 2);
      assert.equal(beat?.after.lastHeartbeat, 9000);

      assert.equal(await store.transitionAgent('did:key:a', 'stale', 'offline', 9500), false);
      assert.equal(await store.transitionAgent('did:key:a', 'online', 'stale', 9500), true);
      assert.equal((await store.getAgent('did:key:a'))?.status, 'stale');

      await store.putAgent(agent('did:key:b', { lastHeartbeat: 100 }));
      const silent = await store.agentsSilentSince(['online', 'stale'], 9000);
      assert.deepEqual(
        silent.map((a) => a.did),
        ['did:key:b'],
      );
      assert.equal(await store.deleteAgent('did:key:b'), true);
      assert.equal(await store.deleteAgent('did:key:b'), false);
    });
  });

  describe(`${name}: tools`, () => {
    it('upserts by (author, name) keeping the id, and searches text and capability', async (t) => {
      const store = await open(t);
      if (!store) return;
      const first = await store.putTool(
        tool('t1', {
          name: 'pdf-extract',
          description: 'Extracts text from PDF documents',
          capabilities: ['documents'],
        }),
      );
      assert.equal(first.created, true);
      await store.putTool(
        tool('t2', { name: 'web-fetch', description: 'Fetches web pages', capabilities: ['web'] }),
      );
      await store.putTool(
        tool('t3', {
          name: 'web-fetch',
          author: 'did:key:other',
          description: 'Another fetcher',
          kind: 'mcp_server',
        }),
      );
      const updated = await store.putTool(
        tool('ignored', {
          name: 'pdf-extract',
          version: '2.0.0',
          description: 'Extracts text and tables from PDF files',
          capabilities: ['documents', 'tables'],
        }),
      );
      assert.equal(updated.created, false);
      assert.equal(updated.tool.id, 't1');
      assert.equal(updated.tool.version, '2.0.0');

      const ids = (r: { tools: ToolRecord[] }): string[] => r.tools.map((x) => x.id).sort();
      assert.deepEqual(ids(await store.findTools({ text: 'tables', offset: 0, limit: 10 })), ['t1']);
      assert.deepEqual(ids(await store.findTools({ text: 'documents', offset: 0, limit: 10 })), ['t1']);
      assert.deepEqual(ids(await store.findTools({ text: 'fetch', offset: 0, limit: 10 })), ['t2', 't3']);
      assert.deepEqual(ids(await store.findTools({ text: 'fetch" (*:', offset: 0, limit: 10 })), [
        't2',
        't3',
      ]);
      assert.deepEqual(ids(await store.findTools({ capability: 'tables', offset: 0, limit: 10 })), ['t1']);
      assert.deepEqual(ids(await store.findTools({ kind: 'mcp_server', offset: 0, limit: 10 })), ['t3']);
      assert.deepEqual(
        ids(await store.findTools({ text: 'fetch', author: 'did:key:other', offset: 0, limit: 10 })),
        ['t3'],
      );
      const page = await store.findTools({ offset: 1, limit: 1 });
      assert.equal(page.total, 3);
      assert.equal(page.tools.length, 1);
      assert.equal(
        (await store.findTools({ text: 'extracts', offset: 0, limit: 10 })).tools[0]?.description,
        'Extracts text and tables from PDF files',
        'the index follows updates',
      );

      assert.equal(await store.deleteTool('t1'), true);
      assert.equal(await store.getTool('t1'), null);
      assert.deepEqual(ids(await store.findTools({ text: 'pdf', offset: 0, limit: 10 })), []);
    });

    it('keeps a package by its hash while a tool refers to it, and drops it after', async (t) => {
      const store = await open(t);
      if (!store) return;
      const v1 = new TextEncoder().encode('export default () => 1;');
      const v2 = new TextEncoder().encode('export default () => 2;');
      const pkg = (sha: string, bytes: Uint8Array) => ({ packageSha256: sha, packageBytes: bytes.length });
      await store.putTool(tool('p1', { name: 'one', ...pkg('a'.repeat(64), v1) }), v1);
      // The same content under a second tool is stored once and survives the first tool's removal.
      await store.putTool(tool('p2', { name: 'two', ...pkg('a'.repeat(64), v1) }), v1);
      assert.deepEqual(await store.getPackage('a'.repeat(64)), v1);
      assert.deepEqual((await store.getTool('p1'))?.packageBytes, v1.length);
      assert.equal(await store.deleteTool('p1'), true);
      assert.deepEqual(await store.getPackage('a'.repeat(64)), v1);

      // A new version replaces the old content; the old one goes once nothing refers to it.
      await store.putTool(tool('ignored', { name: 'two', version: '2.0.0', ...pkg('b'.repeat(64), v2) }), v2);
      assert.equal(await store.getPackage('a'.repeat(64)), null);
      assert.deepEqual(await store.getPackage('b'.repeat(64)), v2);
      assert.equal((await store.getTool('p2'))?.packageSha256, 'b'.repeat(64));
      await store.deleteTool('p2');
      assert.equal(await store.getPackage('b'.repeat(64)), null);
    });
  });

  describe(`${name}: tasks`, () => {
    it('inserts, lists newest first with keyset paging, and updates with a version check', async (t) => {
      const store = await open(t);
      if (!store) return;
      await store.insertTask(task('t1', { createdAt: 1000 }));
      await store.insertTask(task('t2', { createdAt: 2000, requester: 'did:key:other' }));
      await store.insertTask(task('t3', { createdAt: 3000, assignee: 'did:key:b', state: 'working' }));
      const all = await store.listTasks({ limit: 10 });
      assert.deepEqual(
        all.map((x) => x.id),
        ['t3', 't2', 't1'],
      );
      const next = await store.listTasks({ limit: 10, before: { createdAt: 2000, id: 't2' } });
      assert.deepEqual(
        next.map((x) => x.id),
        ['t1'],
      );
      assert.deepEqual(
        (await store.listTasks({ requester: 'did:key:req', states: ['working'], limit: 10 })).map(
          (x) => x.id,
        ),
        ['t3'],
      );
      assert.deepEqual(
        (await store.listTasks({ assignee: 'did:key:a', limit: 10 })).map((x) => x.id),
        ['t2', 't1'],
      );

      const done = await store.updateTask('t1', 1, {
        state: 'completed',
        result: { summary: 'hi' },
        updatedAt: 5000,
      });
      assert.equal(done?.state, 'completed');
      assert.deepEqual(done?.result, { summary: 'hi' });
      assert.equal(done?.version, 2);
      assert.deepEqual(done?.input, { text: 'hello' });
      assert.equal(done?.history[0]?.state, 'submitted');
      assert.equal(await store.updateTask('t1', 1, { state: 'failed' }), null, 'a stale version loses');
      assert.equal((await store.getTask('t1'))?.state, 'completed');
      assert.equal(await store.updateTask('missing', 1, { state: 'failed' }), null);
    });

    it('counts tasks by state, and those dispatched more than once', async (t) => {
      const store = await open(t);
      if (!store) return;
      assert.deepEqual(await store.taskCounts(), []);
      await store.insertTask(task('c1'));
      await store.insertTask(task('c2', { state: 'working', attempts: 2 }));
      await store.insertTask(task('c3', { state: 'working' }));
      await store.insertTask(task('c4', { state: 'failed', attempts: 3 }));
      assert.deepEqual(await store.taskCounts(), [
        { state: 'failed', tasks: 1, redispatched: 1 },
        { state: 'submitted', tasks: 1, redispatched: 0 },
        { state: 'working', tasks: 2, redispatched: 1 },
      ]);
    });

    it('finds open tasks that are overdue or whose assignee is offline or gone', async (t) => {
      const store = await open(t);
      if (!store) return;
      await store.putAgent(agent('did:key:a'));
      await store.putAgent(agent('did:key:off', { status: 'offline' }));
      await store.insertTask(task('fine', { deadline: 10_000 }));
      await store.insertTask(task('late', { deadline: 4000 }));
      await store.insertTask(task('orphan', { assignee: 'did:key:off' }));
      await store.insertTask(task('gone', { assignee: 'did:key:nobody' }));
      await store.insertTask(task('over', { deadline: 10, state: 'completed' }));
      await store.insertTask(task('open-ended', { deadline: null, attemptTimeoutMs: null }));
      const found = await store.tasksNeedingRedispatch(5000);
      assert.deepEqual(found.map((x) => x.id).sort(), ['gone', 'late', 'orphan']);
    });
  });

  describe(`${name}: service key`, () => {
    it('keeps the first key stored', async (t) => {
      const store = await open(t);
      if (!store) return;
      const first = { did: 'did:key:one', secretKey: new Uint8Array(32).fill(1), createdAt: 1 };
      const second = { did: 'did:key:two', secretKey: new Uint8Array(32).fill(2), createdAt: 2 };
      assert.deepEqual(await store.ensureServiceKey(first), first);
      assert.deepEqual(await store.ensureServiceKey(second), first);
    });
  });
}
