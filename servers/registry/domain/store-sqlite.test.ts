import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openSqlite } from '../../../lib/store/sqlite.ts';
import { runRegistryStoreContract } from './store.contract.ts';
import { SqliteRegistryStore } from './store-sqlite.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

runRegistryStoreContract('sqlite', (t) =>
  Promise.resolve(SqliteRegistryStore.open(join(tempDir(t), 'registry.db'))),
);

test('sqlite: capability and open-task lookups use indexes, never a table scan', (t) => {
  const db = openSqlite({ path: join(tempDir(t), 'registry.db') });
  const store = new SqliteRegistryStore(db);
  t.after(() => store.close());
  const plan = (sql: string, ...params: unknown[]): string => {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  };
  const byCapability = plan('SELECT did FROM registry_agent_capabilities WHERE capability = ?', 'x');
  assert.match(byCapability, /USING (COVERING )?INDEX/);
  assert.doesNotMatch(byCapability, /\bSCAN\b/);
  const held = plan("SELECT id FROM registry_tasks WHERE assignee = ? AND state = 'working'", 'x');
  assert.match(held, /registry_tasks_assignee/);
  const open = plan(
    "SELECT id FROM registry_tasks WHERE state IN ('submitted', 'working') AND deadline <= ?",
    1,
  );
  assert.match(open, /registry_tasks_open/);
});
