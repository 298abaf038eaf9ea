import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Lease } from '../upstream/lease.ts';
import { callerFromAuth, type Aggregator, type HubSession, type ViewName } from './aggregator.ts';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import { forwardedMeta, registerForwarding, resourceMount, type CallLease } from './forwarding.ts';

const AGGREGATE_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

/**
 * `capabilities` advertising the Tasks extension exactly when `offered`: with the upstream's own settings
 * for one upstream, with none for the aggregate.
 */
function withTasks(capabilities: ServerCapabilities, offered: boolean): ServerCapabilities {
  const { extensions, ...rest } = capabilities;
  const { [TASKS_EXTENSION]: settings, ...others } = extensions ?? {};
  const kept = offered ? { ...others, [TASKS_EXTENSION]: settings ?? {} } : others;
  return Object.keys(kept).length ? { ...rest, extensions: kept } : rest;
}

/**
 * What a view's server says about itself to a client of `era`: the aggregate's own capabilities, or — for
 * one upstream — what that upstream offers, passed through (extensions and 2025-era tasks included). Every
 * view answers the three lists, empty where its upstream has none, as the aggregate does. The Tasks
 * extension is advertised where the hub forwards it: to 2026-07-28 clients, when the upstream (for the
 * aggregate, any upstream) serves tasks.
 */
export function viewServer(
  aggregator: Aggregator,
  view: ViewName,
  era: 'legacy' | 'modern',
): { info: { name: string; version: string }; capabilities: ServerCapabilities; instructions?: string } {
  if (!aggregator.hasView(view)) throw new Error(`no server named '${view}' is served here`);
  const mount = aggregator.mountOf(view);
  const catalog = mount?.catalog;
  const mounts = mount ? [mount] : [...aggregator.mounts.values()];
  const tasks = era === 'modern' && mounts.some((m) => m.servesTasks);
  return {
    info: catalog?.serverInfo ?? {
      name: view === null ? 'plexus-hub' : `plexus-hub/${view}`,
      version: '0.1.0',
    },
    capabilities: withTasks(
      catalog
        ? {
            ...catalog.capabilities,
            tools: catalog.capabilities.tools ?? {},
            prompts: catalog.capabilities.prompts ?? {},
            resources: catalog.capabilities.resources ?? {},
            logging: {},
          }
        : AGGREGATE_CAPABILITIES,
      tasks,
    ),
    ...(catalog?.instructions ? { instructions: catalog.instructions } : {}),
  };
}

/** The lease of one request on a 2025-era session: everything goes back over the session. */
function sessionLease(session: HubSession, ctx: ServerContext, timeout: number): CallLease {
  let chain = Promise.resolve();
  const lease: Lease = {
    owner: { id: session.id, era: 'legacy' },
    caller: callerFromAuth(ctx.http?.authInfo),
    capabilities: session.server.getClientCapabilities() ?? {},
    logLevel: session.logLevel,
    signal: ctx.mcpReq.signal,
    notify(notification) {
      chain = chain.then(() => ctx.mcpReq.notify(notification)).catch(() => {});
    },
    ask: (request) => ctx.mcpReq.send(request as never, { timeout }),
  };
  return { lease, flushed: () => chain };
}

/**
 * A fresh MCP server for one 2025-era client session of `view`. Its handlers only look things up in the
 * aggregator and forward; what it keeps per session is the small HubSession record.
 */
export function createSessionServer(aggregator: Aggregator, view: ViewName): Server {
  const { info, capabilities, instructions } = viewServer(aggregator, view, 'legacy');
  const server = new Server(info, { capabilities, ...(instructions ? { instructions } : {}) });
  const session: HubSession = { id: randomUUID(), view, server, subscriptions: new Set(), logLevel: null };
  aggregator.register(session);
  server.onclose = () => void aggregator.unregister(session);
  const caller = (ctx: ServerContext) => callerFromAuth(ctx.http?.authInfo);
  registerForwarding(server, {
    aggregator,
    view,
    callerOf: caller,
    leaseFor: (ctx) => sessionLease(session, ctx, aggregator.requestTimeoutMs),
  });

  if (capabilities.resources) {
    server.setRequestHandler('resources/subscribe', async (request, ctx) => {
      const { uri, _meta } = request.params;
      const target = resourceMount(aggregator, view, uri);
      if (!target.catalog?.capabilities.resources?.subscribe) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `server '${target.name}' does not support resource subscriptions`,
        );
      }
      await target.upstream.subscribe(session.id, uri, forwardedMeta(_meta, caller(ctx)));
      session.subscriptions.add(`${target.name}\n${uri}`);
      return {};
    });
    server.setRequestHandler('resources/unsubscribe', async (request) => {
      const { uri } = request.params;
      const target = resourceMount(aggregator, view, uri);
      session.subscriptions.delete(`${target.name}\n${uri}`);
      await target.upstream.unsubscribe(session.id, uri);
      return {};
    });
  }

  server.setRequestHandler('logging/setLevel', (request) => {
    session.logLevel = request.params.level;
    return {};
  });

  server.setNotificationHandler('notifications/roots/list_changed', async () => {
    const mount = aggregator.mountOf(view);
    const targets = mount ? [mount] : [...aggregator.mounts.values()];
    await Promise.allSettled(targets.map((m) => m.upstream.broadcast('notifications/roots/list_changed')));
  });

  return server;
}
