import { freshPgDatabase } from '../../../test/helpers/services.ts';
import { runMemoryStoreContract } from './store.contract.ts';
import { PgMemoryStore } from './store-pg.ts';

runMemoryStoreContract('postgres', async (t) => {
  const url = await freshPgDatabase(t);
  return url ? PgMemoryStore.open(url) : null;
});
