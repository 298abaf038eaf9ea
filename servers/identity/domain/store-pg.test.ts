import { freshPgDatabase } from '../../../test/helpers/services.ts';
import { runIdentityStoreContract } from './store.contract.ts';
import { openIdentityStorePg } from './store-pg.ts';

runIdentityStoreContract('postgres', async (t) => {
  const url = await freshPgDatabase(t);
  return url ? openIdentityStorePg(url) : null;
});
