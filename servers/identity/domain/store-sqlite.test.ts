import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIdentityStoreContract } from './store.contract.ts';
import { openIdentityStoreSqlite } from './store-sqlite.ts';

runIdentityStoreContract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return openIdentityStoreSqlite(join(dir, 'identity.sqlite'));
});
