import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runRouterStoreContract } from './store.contract.ts';
import { INBOX_QUERY, openSqliteRouterStore } from './store-sqlite.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

runRouterStoreContract('sqlite', (t) =>
  Promise.resolve(openSqliteRouterStore(join(tempDir(t), 'router.db'))),
);

test('sqlite: the inbox query walks the (owner, rank, seq) index, never a scan', (t) => {
  const store = openSqliteRouterStore(join(tempDir(t), 'router.db'));
  t.after(() => store.close());
  const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${INBOX_QUERY}`).all('did:key:z6MkB', -1, -1, 0, 10) as {
    detail: string;
  }[];
  const details = plan.map((row) => row.detail);
  assert.ok(
    details.some((d) => d.startsWith('SEARCH d USING INDEX deliveries_inbox (owner=?')),
    details.join(' | '),
  );
  assert.ok(!details.some((d) => d.startsWith('SCAN')), details.join(' | '));
  assert.ok(!details.some((d) => d.includes('TEMP B-TREE')), details.join(' | '));
});
