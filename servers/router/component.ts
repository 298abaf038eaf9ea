import { join } from 'node:path';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { RouterSettings } from '../../schemas/router/tools.ts';
import { InProcessNotifier, type Notifier } from './domain/notifier.ts';
import { RedisNotifier } from './domain/notifier-redis.ts';
import { Router } from './domain/router.ts';
import { cachedKeyResolver, didKeyResolver } from './domain/sender-keys.ts';
import type { RouterStore } from './domain/store.ts';
import { openPgRouterStore } from './domain/store-pg.ts';
import { openSqliteRouterStore } from './domain/store-sqlite.ts';
import { startSweeper } from './domain/sweeper.ts';
import { identityLookup } from './identity-lookup.ts';
import { routerChanges } from './resources.ts';
import { buildServer } from './server.ts';

/**
 * The router component: one store, one notifier and one Router shared by every session; createServer()
 * makes the per-session MCP server (its resource subscriptions are its own).
 */
export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(RouterSettings, ctx.settings ?? {}, 'router settings');
  const store: RouterStore = ctx.databaseUrl
    ? await openPgRouterStore(ctx.databaseUrl)
    : openSqliteRouterStore(join(ctx.dataDir, 'router.db'), ctx.log);
  const notifier: Notifier = ctx.redisUrl
    ? new RedisNotifier({ url: ctx.redisUrl, prefix: settings.redis_prefix, log: ctx.log })
    : new InProcessNotifier();
  const identity = settings.identity_check
    ? identityLookup({ connect: () => ctx.connect('identity'), now: ctx.now, log: ctx.log })
    : null;
  const router = new Router({
    store,
    notifier,
    keys: identity
      ? cachedKeyResolver({
          lookup: identity.lookup,
          now: ctx.now,
          ttlMs: settings.identity_cache_seconds * 1000,
        })
      : didKeyResolver,
    now: ctx.now,
    limits: {
      maxEnvelopeBytes: settings.max_envelope_bytes,
      maxClockSkewMs: settings.max_clock_skew_seconds * 1000,
      maxAgeMs: settings.max_age_seconds * 1000,
    },
    retention: {
      maxEvents: settings.event_retention.max_events,
      maxAgeMs: settings.event_retention.max_age_hours * 3_600_000,
    },
    log: ctx.log,
  });
  const sweeper = startSweeper(() => router.sweep(), settings.sweep_interval_seconds * 1000, ctx.log);
  return {
    createServer: () =>
      buildServer({
        router,
        notifier,
        maxBatch: settings.max_batch,
        follow: settings.receive_follow,
        log: ctx.log,
      }),
    changes: routerChanges(notifier),
    async close() {
      sweeper.stop();
      router.close();
      await identity?.close();
      await notifier.close();
      await store.close();
    },
  };
};
