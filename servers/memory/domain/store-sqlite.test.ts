import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMemoryStoreContract } from './store.contract.ts';
import { SqliteMemoryStore } from './store-sqlite.ts';

runMemoryStoreContract('sqlite', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return Promise.resolve(new SqliteMemoryStore({ path: join(dir, 'memory.db') }));
});
