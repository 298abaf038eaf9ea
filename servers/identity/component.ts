import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { IdentitySettings } from '../../schemas/identity/settings.ts';
import { routerEvents } from './domain/events.ts';
import { openIdentityStorePg } from './domain/store-pg.ts';
import { openIdentityStoreSqlite } from './domain/store-sqlite.ts';
import type { IdentityStore } from './domain/store.ts';
import { buildServer } from './server.ts';
import { createIdentityServices } from './services.ts';

/** The SQLite file of the embedded identity store inside a data dir (the CLI opens the same file). */
export function identityDbPath(dataDir: string): string {
  return join(dataDir, 'identity.sqlite');
}

/**
 * The composition root's additions to identity's raw settings: client assertions addressed to these hub
 * URLs (its issuer URL and token endpoint, RFC 7523 allows both) are accepted besides those configured.
 */
export function withTokenEndpoints(settings: unknown, extra: readonly string[]): unknown {
  if (extra.length === 0) return settings;
  const section = (settings ?? {}) as { tokenEndpoints?: unknown };
  const endpoints = Array.isArray(section.tokenEndpoints) ? (section.tokenEndpoints as unknown[]) : [];
  return { ...section, tokenEndpoints: [...new Set([...endpoints, ...extra])] };
}

/** PostgreSQL when a database URL is configured (scaled out), else SQLite in the data dir. */
export async function openIdentityStore(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  log?: Logger | undefined;
}): Promise<IdentityStore> {
  return options.databaseUrl
    ? openIdentityStorePg(options.databaseUrl)
    : openIdentityStoreSqlite(identityDbPath(options.dataDir), options.log);
}

export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(IdentitySettings, ctx.settings ?? {}, 'identity settings');
  const store = await openIdentityStore(ctx);
  const events = routerEvents(() => ctx.connect('router'), ctx.log);
  try {
    const deps = await createIdentityServices({
      store,
      settings,
      now: ctx.now,
      log: ctx.log,
      publish: events.publish,
    });
    return {
      createServer: () => buildServer(deps),
      close: async () => {
        await events.settled();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
};
