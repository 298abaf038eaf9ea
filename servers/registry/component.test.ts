import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../lib/log.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import type { Task } from '../../schemas/task.ts';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import { component } from './component.ts';
import { call, registeredAgent, startRegistry, tempDir } from './testing.ts';

describe('registry component', () => {
  it('keeps its service identity across restarts', async (t) => {
    const dataDir = tempDir(t);
    const first = await startRegistry(t, { router: false, dataDir });
    const did = first.registry.serviceDid;
    await first.composition.close();
    const second = await startRegistry(t, { router: false, dataDir });
    assert.equal(second.registry.serviceDid, did);
    const info = await call<{ did: string }>(await second.connect(did), 'get_registry_info');
    assert.equal(info.did, did);
  });

  it('refuses bad settings naming the field', async (t) => {
    await assert.rejects(
      composeInProcess(
        { registry: component },
        {
          dataDir: tempDir(t),
          log: silentLogger,
          settings: { registry: { staleAfterMissed: 4, offlineAfterMissed: 3 } },
        },
      ),
      /registry\.offlineAfterMissed/,
    );
  });

  it('runs on PostgreSQL when given a database URL', async (t) => {
    const url = await freshPgDatabase(t);
    if (!url) return;
    const h = await startRegistry(t, { router: false, databaseUrl: url });
    const requester = await registeredAgent(h);
    const worker = await registeredAgent(h, { capabilities: ['summarize'] });
    const { task } = await call<{ task: Task }>(requester.client, 'dispatch_task', {
      capability: 'summarize',
      input: { text: 'x' },
    });
    assert.equal(task.assignee, worker.did);
    const done = await call<{ task: Task }>(worker.client, 'update_task', {
      id: task.id,
      state: 'completed',
      result: 'ok',
    });
    assert.equal(done.task.state, 'completed');
    const did = h.registry.serviceDid;
    await h.composition.close();
    const again = await startRegistry(t, { router: false, databaseUrl: url });
    assert.equal(again.registry.serviceDid, did, 'the key lives in the database, shared by replicas');
  });
});
