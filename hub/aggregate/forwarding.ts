import {
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  isInputRequiredResult,
  type Result,
  type Server,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import { inClientSpan, inServerSpan, markToolError } from '../../lib/telemetry/mcp-spans.ts';
import { CALLER_META_KEY, hasScope, type Caller } from '../../lib/mcp/caller.ts';
import { toolError } from '../../lib/mcp/result.ts';
import { isTaskAnswer, setToolsCallHandler } from '../../lib/mcp/tool-tasks.ts';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import type { Lease, ServerToClientRequest } from '../upstream/lease.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { HubMetrics } from '../metrics.ts';
import { messageFlow } from './message-flow.ts';
import { toolScope, type Aggregator, type Mount, type ViewName } from './aggregator.ts';
import { ParkedCall, type HubState, type InputRounds } from './input-rounds.ts';
import { routeResource, type Entry } from './merge.ts';
import { registerTaskForwarding, taskAnswer } from './task-forwarding.ts';

/** How many `input_required` rounds the hub fulfils itself in one call before giving up. */
export const MAX_ROUNDS = 8;

/** A tool of a view, with the mount that serves it. */
type ToolEntry = Entry<Tool, Mount>;

/** Router tools whose successful calls count as routed envelopes (metrics). */
const ROUTING_TOOLS: Record<string, (args: Record<string, unknown>) => number> = {
  send_message: () => 1,
  publish: () => 1,
  send_messages: (args) => (Array.isArray(args['envelopes']) ? args['envelopes'].length : 0),
};

/** What a forwarded request's spans say about it (OpenTelemetry MCP conventions). */
function spanAttributes(
  request: Pick<Forwarded, 'method' | 'label'>,
  server: string,
): Record<string, string> {
  return {
    'mcp.method.name': request.method,
    'plexus.server': server,
    ...(request.method === 'tools/call' ? { 'gen_ai.tool.name': request.label } : {}),
  };
}

/**
 * Runs one forwarded request in a span for the request as the hub received it (child of the client's trace
 * context in `meta`) and one for the upstream call; `run` gets the `_meta` fields naming the latter as parent.
 */
export function traced(
  view: ViewName,
  target: Mount,
  request: Pick<Forwarded, 'method' | 'label'>,
  meta: Record<string, unknown> | undefined,
  run: (traceMeta: Record<string, string>) => Promise<Result>,
): Promise<Result> {
  const attributes = spanAttributes(request, target.name);
  const exposed = request.label ? ` ${view === null ? `${target.name}__` : ''}${request.label}` : '';
  return inServerSpan(`${request.method}${exposed}`, attributes, meta, async (span) => {
    const result = await inClientSpan(
      `${request.method}${request.label ? ` ${request.label}` : ''}`,
      attributes,
      run,
    );
    markToolError(span, result);
    return result;
  });
}

/**
 * A tools/call the caller's scopes do not cover, as the tool error it gets (null when they do). The gateway
 * refuses such a request before it gets here; this is the servers' own check behind it.
 */
export function scopeRefusal(
  aggregator: Aggregator,
  name: string,
  entry: ToolEntry,
  caller: Caller,
): Result | null {
  const scope = toolScope(entry.item._meta, entry.source.defaultScope);
  if (scope === 'public' || hasScope(caller, scope)) return null;
  aggregator.metrics.errors.inc({ kind: 'forbidden' });
  return toolError(
    'insufficient_scope',
    `${name} needs the '${scope}' scope; ${caller.subject} has [${caller.scopes.join(', ')}]`,
    'get a token with the needed scope',
  );
}

/** What a successful call of a router tool moved, counted in the message metrics. */
export function countMessages(
  aggregator: Aggregator,
  entry: ToolEntry,
  args: Record<string, unknown>,
  result: Result,
): void {
  if (entry.source.name !== 'router' || (result as { isError?: boolean }).isError === true) return;
  const routed = ROUTING_TOOLS[entry.original];
  if (routed) aggregator.metrics.messagesRoutedNow(routed(args));
  const flow = messageFlow(entry.original, result['structuredContent']);
  if (!flow) return;
  for (const stage of ['sent', 'delivered', 'acked'] as const) {
    if (flow[stage] > 0) aggregator.metrics.messages.inc({ stage }, flow[stage]);
  }
}

/** Runs one upstream request, counted and timed in the metrics by server, method, tool and outcome. */
export async function measure<T>(
  metrics: HubMetrics,
  target: Mount,
  method: string,
  label: string,
  run: () => Promise<T>,
  isToolError?: (result: T) => boolean,
): Promise<T> {
  const end = metrics.mcpLatency.startTimer({ server: target.name, method, tool: label });
  try {
    const result = await run();
    const outcome = isToolError?.(result) ? 'tool_error' : 'ok';
    metrics.mcpRequests.inc({ server: target.name, method, tool: label, outcome });
    return result;
  } catch (error) {
    metrics.mcpRequests.inc({ server: target.name, method, tool: label, outcome: 'error' });
    metrics.errors.inc({ kind: 'upstream' });
    throw error;
  } finally {
    end();
  }
}

/** One request as the hub forwards it to an upstream. */
export interface Forwarded {
  method: string;
  /** What the metrics name it by: the upstream's own tool name, or nothing. */
  label: string;
  params: Record<string, unknown>;
  /** Whether it may be sent again after a lost connection (read-only or idempotent). */
  retryable: boolean;
  /** The tool a tools/call calls, as its upstream listed it: the `Mcp-Param-*` headers it needs come from it. */
  tool?: Tool;
  isToolError?: (result: Result) => boolean;
}

/** Sends a request to `target` for the client of `ctx`, as registerForwarding does for its own handlers. */
export type Forward = (target: Mount, request: Forwarded, ctx: ServerContext) => Promise<Result>;

/** A question of an upstream's that neither the client nor the hub could answer. */
class UnansweredInput extends Error {}

/** The lease of one handled request, and the promise of its relayed notifications being written. */
export interface CallLease {
  lease: Lease;
  flushed(): Promise<void>;
  /**
   * For a 2026-07-28 client: where the lease's questions go (the call parked for them) and which of the
   * client's requests is live; the lease's `ask`, `notify` and `signal` follow it.
   */
  rounds?: { park: ParkedCall<Result> | null; live(ctx: ServerContext | null): void };
}

export interface Forwarding {
  aggregator: Aggregator;
  view: ViewName;
  /** Who makes the request `ctx` carries, and how to reach them while it runs. */
  leaseFor(ctx: ServerContext): CallLease;
  /** The caller of the request `ctx` carries. */
  callerOf(ctx: ServerContext): Caller;
  /** `input_required` rounds with 2026-07-28 clients (absent for 2025-era sessions). */
  rounds?: InputRounds;
}

/**
 * An upstream's JSON-RPC error as the client would have got it directly: the SDK client prefixed the
 * message with `MCP error <code>: `, which the server side adds again when the hub answers.
 */
export function relayed(error: unknown): unknown {
  if (!(error instanceof ProtocolError)) return error;
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ProtocolError(error.code, message, error.data);
}

/** `_meta` for the upstream: the client's own keys, minus its progress token, plus who the caller is. */
export function forwardedMeta(
  meta: Record<string, unknown> | undefined,
  caller: Caller,
): Record<string, unknown> {
  const { progressToken: _token, ...rest } = meta ?? {};
  return withCaller(rest, caller);
}

/** The client's `_meta` with who the caller is, as the hub vouches (whatever the client claimed replaced). */
export function withCaller(
  meta: Record<string, unknown> | undefined,
  caller: Caller,
): Record<string, unknown> {
  const { [CALLER_META_KEY]: _spoofed, ...rest } = meta ?? {};
  return { ...rest, [CALLER_META_KEY]: { subject: caller.subject, scopes: caller.scopes } };
}

/**
 * The `_meta` a request forwarded to `target` for `lease`'s client carries — the client's own keys less its
 * progress token, the caller, the trace context, the hub's progress token (the upstream's progress relayed
 * to the client under the client's own), the log level the client asked for — and the release of that
 * progress token once the request is done.
 */
export function forwardedRequest(
  target: Mount,
  clientMeta: Record<string, unknown> | undefined,
  lease: Lease,
  traceMeta: Record<string, string>,
): { meta: Record<string, unknown>; release(): void } {
  const token = clientMeta?.['progressToken'];
  const tracking = target.upstream.trackProgress(
    token === undefined
      ? undefined
      : // The client's token last, where a client reading the wire has it (whatever order the tool wrote).
        ({ progressToken: _hubs, ...progress }) =>
          lease.notify({
            method: 'notifications/progress',
            params: { ...progress, progressToken: token },
          } as never),
  );
  const meta = {
    ...forwardedMeta(clientMeta, lease.caller),
    // The hub's own span is the upstream's parent (the client's trace context when tracing is off).
    ...traceMeta,
    ...tracking.meta,
    // A 2026-07-28 upstream logs for a request only when asked to, at the level the client wants.
    ...(lease.logLevel === 'none' ? {} : { [LOG_LEVEL_META_KEY]: lease.logLevel ?? 'debug' }),
    ...target.upstream.requestMeta(lease),
  };
  return { meta, release: () => tracking.release() };
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

/**
 * A 2026-07-28 upstream's `input_required` questions split by who answers them: what the client can answer
 * goes back to it (`theirs`), the hub answers the rest (`own`: sampling through the llm server) or refuses.
 */
export async function splitQuestions(
  aggregator: Aggregator,
  upstream: Upstream,
  requests: Record<string, ServerToClientRequest>,
  lease: Lease,
): Promise<{ own: Record<string, unknown>; theirs: Record<string, ServerToClientRequest> }> {
  const own: Record<string, unknown> = {};
  const theirs: Record<string, ServerToClientRequest> = {};
  for (const [key, request] of Object.entries(requests)) {
    if (aggregator.clientCanAnswer(request, lease)) theirs[key] = request;
    else own[key] = await aggregator.onServerRequest(upstream, request, lease);
  }
  return { own, theirs };
}

/**
 * Registers on `server` the handlers that forward a view's requests to the mounted upstreams — the same for
 * 2025-era sessions and 2026-07-28 requests; what differs (who the caller is, how to reach them mid-call)
 * comes from `forwarding`.
 */
export function registerForwarding(server: Server, forwarding: Forwarding): void {
  const { aggregator, view } = forwarding;
  const { metrics } = aggregator;
  const capabilities = server.getCapabilities();

  async function measured<T>(
    target: Mount,
    method: string,
    label: string,
    call: CallLease,
    run: () => Promise<T>,
    isToolError?: (result: T) => boolean,
  ): Promise<T> {
    try {
      return await measure(metrics, target, method, label, run, isToolError);
    } catch (error) {
      throw relayed(error);
    } finally {
      await call.flushed();
    }
  }

  /** The answer to one question a 2026-07-28 upstream asked, got from the client or the hub. */
  async function answer(upstream: Upstream, request: unknown, lease: Lease): Promise<unknown> {
    try {
      return await aggregator.onServerRequest(upstream, request as ServerToClientRequest, lease);
    } catch (error) {
      throw new UnansweredInput(error instanceof Error ? error.message : String(error));
    }
  }

  async function answerAll(upstream: Upstream, requests: Record<string, unknown>, lease: Lease) {
    const responses: Record<string, unknown> = {};
    for (const [key, request] of Object.entries(requests))
      responses[key] = await answer(upstream, request, lease);
    return responses;
  }

  /**
   * `exchange`, with an input the hub could not get for the upstream reported as the SDK's legacy shim does:
   * a tool error for a tool call (what hosts already show), a JSON-RPC error otherwise.
   */
  async function exchangeOrRefuse(...args: Parameters<typeof exchange>): Promise<Result> {
    try {
      return await exchange(...args);
    } catch (error) {
      if (!(error instanceof UnansweredInput)) throw error;
      if (args[2].method === 'tools/call') return toolError('input_unavailable', error.message);
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, error.message);
    }
  }

  /**
   * One request to `upstream` on behalf of the client, with whatever the upstream needs from the client
   * along the way: a 2026-07-28 upstream's `input_required` rounds, a 2025-era upstream's requests (through
   * the lease). A 2025-era client's rounds are fulfilled here over its session; a 2026-07-28 client gets
   * them as rounds of its own request, the hub's state signed into `requestState`.
   */
  async function exchange(
    upstream: Upstream,
    call: CallLease,
    request: Forwarded,
    ctx: ServerContext,
  ): Promise<Result> {
    const { lease } = call;
    const { method, params, tool } = request;
    const send = (extra: Record<string, unknown>) =>
      upstream.forward(lease, request.retryable, method, { ...params, ...extra }, tool);
    const rounds = forwarding.rounds;
    const parking = call.rounds;
    if (!rounds || !parking) {
      let extra: Record<string, unknown> = {};
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const result = await send(extra);
        if (!isInputRequiredResult(result)) return result;
        extra = {
          inputResponses: await answerAll(upstream, result.inputRequests ?? {}, lease),
          ...(result.requestState !== undefined ? { requestState: result.requestState } : {}),
        };
      }
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `'${upstream.name}' kept asking for input (${MAX_ROUNDS} rounds)`,
      );
    }
    const state = ctx.mcpReq.requestState<HubState>();
    const responses = ctx.mcpReq.inputResponses ?? {};
    if (state?.kind === 'parked') {
      return rounds.settle(rounds.resume(state.id, responses) as ParkedCall<Result>, ctx);
    }
    // Answers that came without our state are the client's own business with the upstream: passed on.
    let extra: Record<string, unknown> =
      state?.kind === 'relay'
        ? {
            inputResponses: { ...state.answered, ...responses },
            ...(state.state !== undefined ? { requestState: state.state } : {}),
          }
        : Object.keys(responses).length
          ? { inputResponses: responses }
          : {};
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parked: ParkedCall<Result> = new ParkedCall<Result>(
        () => send(extra),
        (live) => parking.live(live),
      );
      parking.park = parked;
      const result = await rounds.settle(parked, ctx);
      if (!isInputRequiredResult(result) || Object.keys(parked.questions()).length) return result;
      const { own, theirs } = await splitQuestions(aggregator, upstream, result.inputRequests ?? {}, lease);
      if (Object.keys(theirs).length) {
        return rounds.relay(
          { inputRequests: theirs, ...(result.requestState ? { requestState: result.requestState } : {}) },
          own,
          ctx,
        );
      }
      extra = {
        inputResponses: own,
        ...(result.requestState !== undefined ? { requestState: result.requestState } : {}),
      };
    }
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `'${upstream.name}' kept asking for input (${MAX_ROUNDS} rounds)`,
    );
  }

  /**
   * Forwards one request to `target`, progress relayed under the client's own token, in a span for the
   * request as the hub received it and one for the upstream call (its context sent on in `_meta`).
   */
  const forward: Forward = (target, request, ctx) =>
    traced(view, target, request, ctx.mcpReq._meta, (traceMeta) =>
      forwardTraced(target, request, ctx, traceMeta),
    );

  function forwardTraced(
    target: Mount,
    request: Forwarded,
    ctx: ServerContext,
    traceMeta: Record<string, string>,
  ): Promise<Result> {
    const call = forwarding.leaseFor(ctx);
    const forwarded = forwardedRequest(target, ctx.mcpReq._meta, call.lease, traceMeta);
    const params = { ...request.params, _meta: forwarded.meta };
    return measured(
      target,
      request.method,
      request.label,
      call,
      async () => {
        try {
          return await exchangeOrRefuse(target.upstream, call, { ...request, params }, ctx);
        } finally {
          forwarded.release();
        }
      },
      request.isToolError,
    );
  }

  if (capabilities.tools) {
    server.setRequestHandler('tools/list', () => ({
      tools: [...aggregator.view(view).tools.values()].map((e) => e.item),
    }));
    setToolsCallHandler(server, async (request, ctx) => {
      const { name, arguments: args } = request.params;
      const entry = aggregator.view(view).tools.get(name);
      if (!entry)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown tool '${name}'`, {
          field: 'name',
          code: 'unknown_tool',
        });
      const refusal = scopeRefusal(aggregator, name, entry, forwarding.callerOf(ctx));
      if (refusal) return refusal;
      const annotations = entry.item.annotations;
      const retryable = Boolean(annotations?.readOnlyHint || annotations?.idempotentHint);
      const isToolError = (r: Result) => (r as { isError?: boolean }).isError === true;
      const result = await forward(
        entry.source,
        {
          method: 'tools/call',
          label: entry.original,
          params: { name: entry.original, arguments: args ?? {} },
          retryable,
          tool: entry.item,
          isToolError,
        },
        ctx,
      );
      if (isTaskAnswer(result)) return taskAnswer(view, entry.source, result);
      countMessages(aggregator, entry, args ?? {}, result);
      return result;
    });
  }

  if (capabilities.prompts) {
    server.setRequestHandler('prompts/list', (_request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'prompts/list');
      return { prompts: [...aggregator.view(view).prompts.values()].map((e) => e.item) };
    });
    server.setRequestHandler('prompts/get', async (request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'prompts/get');
      const { name, arguments: args } = request.params;
      const entry = aggregator.view(view).prompts.get(name);
      if (!entry)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt '${name}'`, {
          field: 'name',
        });
      const params = { name: entry.original, ...(args ? { arguments: args } : {}) };
      const forwarded = { method: 'prompts/get', label: entry.original, params, retryable: true };
      return (await forward(entry.source, forwarded, ctx)) as never;
    });
  }

  if (capabilities.resources) {
    server.setRequestHandler('resources/list', (_request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'resources/list');
      return { resources: [...aggregator.view(view).resources.values()].map((e) => e.item) };
    });
    server.setRequestHandler('resources/templates/list', (_request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'resources/templates/list');
      return { resourceTemplates: aggregator.view(view).resourceTemplates.map((e) => e.item) };
    });
    server.setRequestHandler('resources/read', async (request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'resources/read');
      const { uri } = request.params;
      const forwarded = { method: 'resources/read', label: '', params: { uri }, retryable: true };
      return (await forward(resourceMount(aggregator, view, uri), forwarded, ctx)) as never;
    });
  }

  if (capabilities.completions) {
    server.setRequestHandler('completion/complete', async (request, ctx) => {
      requireRead(forwarding.callerOf(ctx), 'completion/complete');
      const { ref, _meta: _ignored, ...rest } = request.params;
      let target: Mount;
      let params: Record<string, unknown> = { ...rest, ref };
      if (ref.type === 'ref/prompt') {
        const entry = aggregator.view(view).prompts.get(ref.name);
        if (!entry)
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown prompt '${ref.name}'`, {
            field: 'ref.name',
          });
        target = entry.source;
        params = { ...params, ref: { ...ref, name: entry.original } };
      } else {
        target = resourceMount(aggregator, view, ref.uri);
      }
      if (!target.catalog?.capabilities.completions)
        return { completion: { values: [], total: 0, hasMore: false } };
      const forwarded = { method: 'completion/complete', label: '', params, retryable: true };
      return (await forward(target, forwarded, ctx)) as never;
    });
  }

  if (capabilities.extensions?.[TASKS_EXTENSION]) registerTaskForwarding(server, aggregator, view, forward);
}

/** Subscriptions are checked by the upstream; this is the hub's own routing of a URI within a view. */
export function resourceMount(aggregator: Aggregator, view: ViewName, uri: string): Mount {
  const target = routeResource(aggregator.view(view), uri);
  if (!target)
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `no mounted server serves resource '${uri}'`, {
      uri,
    });
  return target;
}
