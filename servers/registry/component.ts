import { join } from 'node:path';
import type { ToolCaller } from '../../lib/clients/call-tool.ts';
import { identityClient } from '../../lib/clients/identity.ts';
import { routerClient } from '../../lib/clients/router.ts';
import type { Component, ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { AgentService } from './domain/agents.ts';
import { TaskDispatcher } from './domain/dispatcher.ts';
import { HeartbeatMonitor } from './domain/monitor.ts';
import { loadServiceIdentity } from './domain/service-identity.ts';
import { RegistrySettings } from './domain/settings.ts';
import { PgRegistryStore } from './domain/store-pg.ts';
import { SqliteRegistryStore } from './domain/store-sqlite.ts';
import type { RegistryStore } from './domain/store.ts';
import { ToolService } from './domain/tools.ts';
import { TrustCache } from './domain/trust-cache.ts';
import { IdentityLink } from './links/identity-link.ts';
import { RouterLink } from './links/router-link.ts';
import { SiblingLink } from '../../lib/clients/sibling-link.ts';
import { buildServer, type RegistryDeps } from './server.ts';
import { DispatchedTasks } from './task-handles.ts';

/** The running registry: besides the Component contract, its DID and monitor (tests drive the monitor). */
export interface RegistryComponent extends Component {
  serviceDid: string;
  monitor: HeartbeatMonitor;
}

/**
 * The registry component: one store, the registry's service identity, links to the router (events, task
 * envelopes) and identity (keys, revocation, trust), the heartbeat monitor, and a fresh McpServer per session.
 */
export const component: ComponentFactory = async (ctx): Promise<RegistryComponent> => {
  const settings = parseOrThrow(RegistrySettings, ctx.settings ?? {}, 'registry');
  const log = ctx.log;
  const now = ctx.now;
  const store: RegistryStore = ctx.databaseUrl
    ? await PgRegistryStore.open(ctx.databaseUrl)
    : SqliteRegistryStore.open(join(ctx.dataDir, 'registry.db'), log);
  try {
    const service = await loadServiceIdentity(store, now());
    const link = <C>(name: 'router' | 'identity', typed: (caller: ToolCaller) => C): SiblingLink<C> =>
      new SiblingLink({ name, connect: () => ctx.connect(name), typed, log, now });
    const routerLink = link('router', routerClient);
    const identityLink = link('identity', identityClient);
    const router = new RouterLink(routerLink, service.did, log);
    const identity = new IdentityLink(identityLink, log);
    const trust = new TrustCache(identity, settings.trustCacheMs, now);
    const dispatcher = new TaskDispatcher({
      store,
      identity,
      trust,
      messenger: router,
      events: router,
      service,
      now,
      settings,
      log,
    });
    const agents = new AgentService({
      store,
      identity,
      trust,
      events: router,
      now,
      settings,
      onOffline: async () => {
        await dispatcher.redispatchDue();
      },
    });
    const tools = new ToolService({
      store,
      identity,
      events: router,
      now,
      maxPackageBytes: settings.maxPackageBytes,
    });
    const monitor = new HeartbeatMonitor({
      store,
      events: router,
      identity,
      redispatchDue: () => dispatcher.redispatchDue(),
      now,
      settings,
      log,
    });
    const tasks = new DispatchedTasks(dispatcher, service.secretKey, settings.taskPollIntervalMs);
    const deps: RegistryDeps = { agents, tools, dispatcher, settings, log, tasks };
    monitor.start();
    log.info({ did: service.did }, 'registry ready');
    return {
      serviceDid: service.did,
      monitor,
      createServer: () => buildServer(deps),
      async close() {
        await monitor.stop();
        await Promise.allSettled([routerLink.close(), identityLink.close()]);
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
};
