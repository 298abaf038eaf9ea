import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runRegistryStoreContract } from './store.contract.ts';
import { SqliteRegistryStore } from './store-sqlite.ts';

runRegistryStoreContract(describe, it, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return SqliteRegistryStore.open(join(dir, 'registry.db'));
});
