import { freshPgDatabase } from '../../../test/helpers/services.ts';
import { runRegistryStoreContract } from './store.contract.ts';
import { PgRegistryStore } from './store-pg.ts';

runRegistryStoreContract('postgres', async (t) => {
  const url = await freshPgDatabase(t);
  return url ? PgRegistryStore.open(url) : null;
});
