// The typed memory client (lib/clients/memory.ts) against the real memory server in this process.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ToolError } from '../../lib/clients/errors.ts';
import { memoryClient } from '../../lib/clients/memory.ts';
import { openSqliteMemory } from './domain/memory.ts';
import { agent, memoryHarness, tempDir } from './testing.ts';

test('sync_push and sync_pull answer through the typed client, parsed; refusals keep code and kind', async (t) => {
  const federation = memoryHarness(t);
  const alice = agent();
  const local = openSqliteMemory({ path: join(tempDir(t), 'alice.db'), signer: alice });
  t.after(() => local.close());
  await local.notes.remember(alice.did, { text: 'a public note', scope: { kind: 'public' } });
  const records = (await local.store.changes(alice.did, null, 10)).items.map(
    ({ seq: _seq, endedAt: _endedAt, ...record }) => record,
  );

  const memory = memoryClient(await federation.connect(alice.did));
  assert.deepEqual(await memory.syncPush({ records }), { stored: 1, duplicates: 0, rejected: [] });
  const page = await memoryClient(await federation.connect(agent().did)).syncPull({});
  assert.deepEqual(
    page.records.map((r) => r.id),
    records.map((r) => r.id),
  );
  assert.deepEqual([page.more, page.groups], [false, []]);

  const reader = memoryClient(await federation.connect(alice.did, ['read']));
  const denied = await reader.syncPush({ records }).catch((e: unknown) => e);
  assert.ok(denied instanceof ToolError, String(denied));
  assert.deepEqual([denied.kind, denied.code, denied.tool], ['forbidden', 'insufficient_scope', 'sync_push']);
  const badCursor = await memory.syncPull({ cursor: 'not a cursor' }).catch((e: unknown) => e);
  assert.ok(badCursor instanceof ToolError);
  assert.deepEqual([badCursor.kind, badCursor.field], ['invalid', 'cursor']);
});
