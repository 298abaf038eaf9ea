import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { authInfoFor } from '../../lib/mcp/in-process.ts';
import { silentLogger } from '../../lib/log.ts';
import { freshPgDatabase } from '../../test/helpers/services.ts';
import { component } from './component.ts';
import { agent, call, tempDir } from './testing.ts';

test('the memory component runs in a composition with its configured embedder', async (t) => {
  const dataDir = tempDir(t);
  const composition = await composeInProcess(
    { memory: component },
    { dataDir, log: silentLogger, settings: { memory: { embedder: { kind: 'lexical', dimension: 128 } } } },
  );
  t.after(() => composition.close());
  const did = agent().did;
  const client = await composition.connect('memory', authInfoFor(did, ['read', 'write']));
  await call(client, 'remember', { text: 'composition works' });
  const status = await call<{ embedder: string; dimension: number }>(client, 'get_memory_status');
  assert.deepEqual([status.embedder, status.dimension], ['lexical-v2', 128]);
  assert.ok(existsSync(join(dataDir, 'memory.db')));
  // The hub's delegate link acts for the named caller.
  const hub = await composition.connect('memory');
  const result = await hub.callTool({
    name: 'recall',
    arguments: { query: 'composition' },
    _meta: { 'io.plexus/caller': { subject: did, scopes: ['read'] } },
  });
  assert.equal((result.structuredContent as { items: unknown[] }).items.length, 1);
});

test('bad settings are refused naming the field', async (t) => {
  await assert.rejects(
    composeInProcess(
      { memory: component },
      {
        dataDir: tempDir(t),
        log: silentLogger,
        settings: { memory: { embedder: { kind: 'lexical', dimension: 100 } } },
      },
    ),
    /memory\.embedder\.dimension/,
  );
});

test('with a database URL the component keeps memory in PostgreSQL', async (t) => {
  const databaseUrl = await freshPgDatabase(t);
  if (!databaseUrl) return;
  const dataDir = tempDir(t);
  const composition = await composeInProcess(
    { memory: component },
    { dataDir, databaseUrl, log: silentLogger },
  );
  t.after(() => composition.close());
  const did = agent().did;
  const client = await composition.connect('memory', authInfoFor(did, ['read', 'write']));
  await call(client, 'create_entities', {
    entities: [{ name: 'pg', entityType: 'db', observations: ['works'] }],
  });
  await call(client, 'remember', { text: 'postgres stores notes too' });
  const recalled = await call<{ items: { text: string }[] }>(client, 'recall', { query: 'postgres notes' });
  assert.equal(recalled.items[0]?.text, 'postgres stores notes too');
  assert.deepEqual(
    (await call<{ entities: { observations: string[] }[] }>(client, 'read_graph')).entities[0]?.observations,
    ['works'],
  );
  assert.ok(!existsSync(join(dataDir, 'memory.db')));
});
