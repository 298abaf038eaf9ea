import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log.ts';
import type { ComponentFactory, CoreServerName } from '../lib/mcp/component.ts';
import { composeInProcess } from '../lib/mcp/local-composition.ts';
import { loadServer } from './catalog.ts';

const USAGE = `usage: plexus migrate [--database URL] [--data DIR]

Brings every core server's PostgreSQL schema up to date (PLEXUS_DATABASE_URL unless --database is given)
and exits. Each store runs its versioned migrations when it opens, inside a transaction and under an
advisory lock, so running this while servers are up is safe; it is also what every server does at startup.`;

/** The servers that keep state in the database (llm keeps none). */
export const STATEFUL_SERVERS: readonly CoreServerName[] = ['identity', 'router', 'registry', 'memory'];

/**
 * Opens the stateful servers against `databaseUrl` (which migrates their stores) and closes them again.
 * Returns the names migrated, in order.
 */
export async function migrateAll(options: {
  databaseUrl: string;
  dataDir: string;
  log: ReturnType<typeof createLogger>;
}): Promise<CoreServerName[]> {
  const names = STATEFUL_SERVERS;
  const factories: Partial<Record<CoreServerName, ComponentFactory>> = {};
  for (const name of names) factories[name] = (await loadServer(name)).component;
  // Settings that keep the components from reaching out while they only open their stores.
  const composition = await composeInProcess(factories, {
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    log: options.log,
    settings: { router: { identity_check: false } },
  });
  await composition.close();
  return [...names];
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        database: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`plexus migrate: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const databaseUrl = values.database ?? process.env['PLEXUS_DATABASE_URL'];
  if (!databaseUrl) {
    console.error(`plexus migrate: set PLEXUS_DATABASE_URL or pass --database URL\n\n${USAGE}`);
    return 2;
  }
  const log = createLogger({
    name: 'plexus-migrate',
    level: (process.env['PLEXUS_LOG_LEVEL'] as 'info' | undefined) ?? 'warn',
  });
  try {
    const done = await migrateAll({
      databaseUrl,
      dataDir: path.resolve(values.data ?? process.env['PLEXUS_DATA'] ?? './data'),
      log,
    });
    console.error(`plexus migrate: up to date: ${done.join(', ')}`);
    return 0;
  } catch (error) {
    console.error(`plexus migrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
