import { mkdtempSync, rmSync, statSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOAuthStoreContract } from './store.contract.ts';
import { oauthDbPath, openOAuthStore } from './store.ts';

runOAuthStoreContract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-oauth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openOAuthStore({ dataDir: dir });
  assert.equal(statSync(oauthDbPath(dir)).mode & 0o777, 0o600);
  return store;
});
