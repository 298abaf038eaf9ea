import { randomUUID } from 'node:crypto';
import { Server, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type {
  CallToolResult,
  ServerCapabilities,
  ServerNotification,
  ServerContext,
} from '@modelcontextprotocol/server';
import { CALLER_META_KEY, hasScope, type Caller } from '../../lib/mcp/caller.ts';
import { toolError } from '../../lib/mcp/result.ts';
import type { Lease, Upstream } from '../upstream/upstream.ts';
import {
  callerFromAuth,
  toolScope,
  type Aggregator,
  type HubSession,
  type Mount,
  type ViewName,
} from './aggregator.ts';
import { routeResource } from './merge.ts';

type Extra = ServerContext;

const AGGREGATE_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

/** Router tools whose successful calls count as routed envelopes (metrics). */
const ROUTING_TOOLS: Record<string, (args: Record<string, unknown>) => number> = {
  send_message: () => 1,
  publish: () => 1,
  send_messages: (args) => (Array.isArray(args['envelopes']) ? args['envelopes'].length : 0),
};

/**
 * An upstream's JSON-RPC error as the client would have got it directly: the SDK client prefixed the
 * message with `MCP error <code>: `, which the server side adds again when the hub answers.
 */
function relayed(error: unknown): unknown {
  if (!(error instanceof ProtocolError)) return error;
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ProtocolError(error.code, message, error.data);
}

/** `_meta` for the upstream: the client's own keys, minus its progress token, plus who the caller is. */
function forwardedMeta(meta: Record<string, unknown> | undefined, caller: Caller): Record<string, unknown> {
  const { progressToken: _token, [CALLER_META_KEY]: _spoofed, ...rest } = meta ?? {};
  return { ...rest, [CALLER_META_KEY]: { subject: caller.subject, scopes: caller.scopes } };
}

/**
 * A fresh MCP server for one client session of `view`. Its handlers only look things up in the aggregator
 * and forward; what it keeps per session is the small HubSession record.
 */
export function createSessionServer(aggregator: Aggregator, view: ViewName): Server {
  const mount = view === null ? null : aggregator.mounts.get(view);
  if (view !== null && !mount) throw new Error(`no server named '${view}' is mounted`);
  const upstreamCatalog = mount?.catalog;
  // A single-server view mirrors what that server offers; tasks and experimental features are not forwarded.
  const capabilities: ServerCapabilities = upstreamCatalog
    ? { ...upstreamCatalog.capabilities, experimental: undefined, tasks: undefined }
    : AGGREGATE_CAPABILITIES;
  const server = new Server(
    upstreamCatalog?.serverInfo ?? {
      name: view === null ? 'plexus-hub' : `plexus-hub/${view}`,
      version: '0.1.0',
    },
    {
      capabilities,
      ...(upstreamCatalog?.instructions ? { instructions: upstreamCatalog.instructions } : {}),
    },
  );
  const session: HubSession = { id: randomUUID(), view, server, subscriptions: new Set(), logLevel: null };
  aggregator.register(session);
  server.onclose = () => void aggregator.unregister(session);
  const { metrics } = aggregator;

  /** A lease whose relayed notifications are sent in order and flushed before the call answers. */
  interface RelayLease extends Lease {
    notify(notification: ServerNotification): void;
    flushed(): Promise<void>;
  }

  function leaseFor(extra: Extra): RelayLease {
    let chain = Promise.resolve();
    return {
      owner: session,
      extra,
      notify(notification) {
        chain = chain.then(() => extra.mcpReq.notify(notification)).catch(() => {});
      },
      flushed: () => chain,
    };
  }

  function requireRead(caller: Caller, what: string): void {
    if (!hasScope(caller, 'read')) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `${what} needs the 'read' scope; ${caller.subject} has none`,
        {
          code: 'insufficient_scope',
        },
      );
    }
  }

  async function measured<T>(
    target: Mount,
    method: string,
    tool: string,
    lease: RelayLease,
    run: () => Promise<T>,
    isToolError?: (result: T) => boolean,
  ): Promise<T> {
    const end = metrics.mcpLatency.startTimer({ server: target.name, method, tool });
    try {
      const result = await run();
      const outcome = isToolError?.(result) ? 'tool_error' : 'ok';
      metrics.mcpRequests.inc({ server: target.name, method, tool, outcome });
      return result;
    } catch (error) {
      metrics.mcpRequests.inc({ server: target.name, method, tool, outcome: 'error' });
      metrics.errors.inc({ kind: 'upstream' });
      throw relayed(error);
    } finally {
      end();
      await lease.flushed();
    }
  }

  function progressRelay(lease: RelayLease, meta: Record<string, unknown> | undefined) {
    const token = meta?.['progressToken'];
    if (token === undefined) return undefined;
    return (progress: Record<string, unknown>) =>
      lease.notify({
        method: 'notifications/progress',
        params: { ...progress, progressToken: token },
      } as never);
  }

  /** Runs an upstream request whose progress goes back to the client under the client's own token. */
  async function withProgress<T>(
    upstream: Upstream,
    lease: RelayLease,
    meta: Record<string, unknown> | undefined,
    run: (progressMeta: Record<string, unknown>) => Promise<T>,
  ): Promise<T> {
    const tracking = upstream.trackProgress(progressRelay(lease, meta));
    try {
      return await run(tracking.meta);
    } finally {
      tracking.release();
    }
  }

  if (capabilities.tools)
    server.setRequestHandler('tools/list', () => ({
      tools: [...aggregator.view(view).tools.values()].map((e) => e.item),
    }));

  if (capabilities.tools)
    server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
      const { name, arguments: args, _meta } = request.params;
      const entry = aggregator.view(view).tools.get(name);
      if (!entry)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown tool '${name}'`, { field: 'name' });
      const caller = callerFromAuth(ctx.http?.authInfo);
      const scope = toolScope(entry.item._meta, entry.source.defaultScope);
      if (scope !== 'public' && !hasScope(caller, scope)) {
        metrics.errors.inc({ kind: 'forbidden' });
        return toolError(
          'insufficient_scope',
          `${name} needs the '${scope}' scope; ${caller.subject} has [${caller.scopes.join(', ')}]`,
          'get a token with the needed scope',
        );
      }
      const target = entry.source;
      const annotations = entry.item.annotations;
      const retryable = Boolean(annotations?.readOnlyHint || annotations?.idempotentHint);
      const lease = leaseFor(ctx);
      const result = await measured(
        target,
        'tools/call',
        entry.original,
        lease,
        () =>
          withProgress(target.upstream, lease, _meta, (progress) =>
            target.upstream.call(lease, retryable, (client) =>
              client.request(
                {
                  method: 'tools/call',
                  params: {
                    name: entry.original,
                    arguments: args ?? {},
                    _meta: { ...forwardedMeta(_meta, caller), ...progress },
                  },
                },
                target.upstream.requestOptions(lease),
              ),
            ),
          ),
        (r) => r.isError === true,
      );
      const routed = target.name === 'router' && !result.isError ? ROUTING_TOOLS[entry.original] : undefined;
      if (routed) metrics.messagesRouted.inc(routed(args ?? {}));
      return result;
    });

  if (capabilities.prompts)
    server.setRequestHandler('prompts/list', (_request, ctx) => {
      requireRead(callerFromAuth(ctx.http?.authInfo), 'prompts/list');
      return { prompts: [...aggregator.view(view).prompts.values()].map((e) => e.item) };
    });

  if (capabilities.prompts)
    server.setRequestHandler('prompts/get', async (request, ctx) => {
      const caller = callerFromAuth(ctx.http?.authInfo);
      requireRead(caller, 'prompts/get');
      const { name, arguments: args, _meta } = request.params;
      const entry = aggregator.view(view).prompts.get(name);
      if (!entry)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt '${name}'`, {
          field: 'name',
        });
      const lease = leaseFor(ctx);
      return measured(entry.source, 'prompts/get', entry.original, lease, () =>
        withProgress(entry.source.upstream, lease, _meta, (progress) =>
          entry.source.upstream.call(lease, true, (client) =>
            client.request(
              {
                method: 'prompts/get',
                params: {
                  name: entry.original,
                  ...(args ? { arguments: args } : {}),
                  _meta: { ...forwardedMeta(_meta, caller), ...progress },
                },
              },
              entry.source.upstream.requestOptions(lease),
            ),
          ),
        ),
      );
    });

  if (capabilities.resources)
    server.setRequestHandler('resources/list', (_request, ctx) => {
      requireRead(callerFromAuth(ctx.http?.authInfo), 'resources/list');
      return { resources: [...aggregator.view(view).resources.values()].map((e) => e.item) };
    });

  if (capabilities.resources)
    server.setRequestHandler('resources/templates/list', (_request, ctx) => {
      requireRead(callerFromAuth(ctx.http?.authInfo), 'resources/templates/list');
      return { resourceTemplates: aggregator.view(view).resourceTemplates.map((e) => e.item) };
    });

  function mountFor(uri: string): Mount {
    const target = routeResource(aggregator.view(view), uri);
    if (!target) throw new ProtocolError(-32002, `no mounted server serves resource '${uri}'`, { uri });
    return target;
  }

  if (capabilities.resources)
    server.setRequestHandler('resources/read', async (request, ctx) => {
      const caller = callerFromAuth(ctx.http?.authInfo);
      requireRead(caller, 'resources/read');
      const { uri, _meta } = request.params;
      const target = mountFor(uri);
      const lease = leaseFor(ctx);
      return measured(target, 'resources/read', '', lease, () =>
        withProgress(target.upstream, lease, _meta, (progress) =>
          target.upstream.call(lease, true, (client) =>
            client.request(
              {
                method: 'resources/read',
                params: { uri, _meta: { ...forwardedMeta(_meta, caller), ...progress } },
              },
              target.upstream.requestOptions(lease),
            ),
          ),
        ),
      );
    });

  if (capabilities.resources)
    server.setRequestHandler('resources/subscribe', async (request, ctx) => {
      const caller = callerFromAuth(ctx.http?.authInfo);
      requireRead(caller, 'resources/subscribe');
      const { uri, _meta } = request.params;
      const target = mountFor(uri);
      if (!target.catalog?.capabilities.resources?.subscribe) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `server '${target.name}' does not support resource subscriptions`,
        );
      }
      await target.upstream.subscribe(session.id, uri, forwardedMeta(_meta, caller));
      session.subscriptions.add(`${target.name}\n${uri}`);
      return {};
    });

  if (capabilities.resources)
    server.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
      requireRead(callerFromAuth(ctx.http?.authInfo), 'resources/unsubscribe');
      const { uri } = request.params;
      const target = mountFor(uri);
      session.subscriptions.delete(`${target.name}\n${uri}`);
      await target.upstream.unsubscribe(session.id, uri);
      return {};
    });

  if (capabilities.completions)
    server.setRequestHandler('completion/complete', async (request, ctx) => {
      const caller = callerFromAuth(ctx.http?.authInfo);
      requireRead(caller, 'completion/complete');
      const { ref } = request.params;
      let target: Mount;
      let params = request.params;
      if (ref.type === 'ref/prompt') {
        const entry = aggregator.view(view).prompts.get(ref.name);
        if (!entry)
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt '${ref.name}'`, {
            field: 'ref.name',
          });
        target = entry.source;
        params = { ...params, ref: { ...ref, name: entry.original } };
      } else {
        target = mountFor(ref.uri);
      }
      if (!target.catalog?.capabilities.completions)
        return { completion: { values: [], total: 0, hasMore: false } };
      const lease = leaseFor(ctx);
      return measured(target, 'completion/complete', '', lease, () =>
        target.upstream.call(lease, true, (client) =>
          client.request(
            {
              method: 'completion/complete',
              params: { ...params, _meta: forwardedMeta(params._meta, caller) },
            },
            target.upstream.requestOptions(lease),
          ),
        ),
      );
    });

  if (capabilities.logging)
    server.setRequestHandler('logging/setLevel', (request) => {
      session.logLevel = request.params.level;
      return {};
    });

  server.setNotificationHandler('notifications/roots/list_changed', async () => {
    const targets = mount ? [mount] : [...aggregator.mounts.values()];
    await Promise.allSettled(targets.map((m) => m.upstream.broadcast('notifications/roots/list_changed')));
  });

  return server;
}
