import { freshPgDatabase } from '../../../test/helpers/services.ts';
import { runRouterStoreContract } from './store.contract.ts';
import { openPgRouterStore } from './store-pg.ts';

runRouterStoreContract('postgres', async (t) => {
  const url = await freshPgDatabase(t);
  return url ? openPgRouterStore(url) : null;
});
