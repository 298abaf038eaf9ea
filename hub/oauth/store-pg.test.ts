import { freshPgDatabase } from '../../test/helpers/services.ts';
import { runOAuthStoreContract } from './store.contract.ts';
import { openOAuthStore } from './store.ts';

runOAuthStoreContract('postgres', async (t) => {
  const url = await freshPgDatabase(t);
  return url ? openOAuthStore({ dataDir: '', databaseUrl: url }) : null;
});
