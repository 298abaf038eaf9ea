import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  LOG_LEVEL_META_KEY,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type Implementation,
  type LoggingLevel,
  type Result,
  type ServerContext,
  type ServerOptions,
} from '@modelcontextprotocol/server';
import type { Lease } from '../upstream/lease.ts';
import { callerFromAuth, type Aggregator, type ViewName } from './aggregator.ts';
import { registerForwarding, type CallLease } from './forwarding.ts';
import type { InputRounds, ParkedCall } from './input-rounds.ts';
import { viewServer } from './session-server.ts';

/** An abort that follows whichever of the client's requests is live; none between rounds. */
function followingAbort(first: AbortSignal) {
  const abort = new AbortController();
  let unlink = () => {};
  const link = (signal: AbortSignal | null) => {
    unlink();
    if (!signal) {
      unlink = () => {};
      return;
    }
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    unlink = () => signal.removeEventListener('abort', onAbort);
  };
  link(first);
  return { signal: abort.signal, link };
}

/**
 * The lease of one 2026-07-28 request: what the client declared comes from the request's envelope, and the
 * upstream's questions become `input_required` rounds of this request (the call parked meanwhile), its
 * progress going to whichever round is live.
 */
function requestLease(ctx: ServerContext): CallLease {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  let live: ServerContext | null = ctx;
  let chain = Promise.resolve();
  const abort = followingAbort(ctx.mcpReq.signal);
  const rounds = {
    park: null as ParkedCall<Result> | null,
    live(next: ServerContext | null) {
      live = next;
      abort.link(next?.mcpReq.signal ?? null);
    },
  };
  const lease: Lease = {
    owner: { id: `request:${randomUUID()}`, era: 'modern' },
    caller: callerFromAuth(ctx.http?.authInfo),
    capabilities: envelope[CLIENT_CAPABILITIES_META_KEY] ?? {},
    // 2026-07-28: no level in the request, no log messages for it.
    logLevel: (envelope[LOG_LEVEL_META_KEY] as LoggingLevel | undefined) ?? 'none',
    signal: abort.signal,
    notify(notification) {
      const target = live;
      if (target) chain = chain.then(() => target.mcpReq.notify(notification)).catch(() => {});
    },
    ask(request) {
      if (!rounds.park) {
        return Promise.reject(
          new ProtocolError(ProtocolErrorCode.InvalidRequest, `${request.method} outside any call`),
        );
      }
      return rounds.park.ask(request);
    },
  };
  return { lease, flushed: () => chain, rounds };
}

/**
 * The product of one 2026-07-28 request: an McpServer whose handlers are the hub's own, registered on its
 * `.server`. The SDK's HTTP entry checks a tools/call's `Mcp-Param-*` headers against the `x-mcp-header`
 * declarations of the tool's input schema only for an McpServer, asking it for that schema: here the view's
 * catalog answers, with the schema the tool's server listed.
 */
class RequestServer extends McpServer {
  readonly #inputSchemaOf: (tool: string) => Record<string, unknown> | undefined;

  constructor(
    info: Implementation,
    options: ServerOptions,
    inputSchemaOf: (tool: string) => Record<string, unknown> | undefined,
  ) {
    super(info, options);
    this.#inputSchemaOf = inputSchemaOf;
  }

  override toolInputSchemaJson(name: string): Record<string, unknown> | undefined {
    return this.#inputSchemaOf(name);
  }
}

/**
 * The server for one 2026-07-28 request to `view`: built per request, kept by nothing, forwarding like a
 * session's server. State that must outlive the request (a call parked for the client's answers) lives in
 * `rounds`, named by the signed `requestState` the client echoes.
 */
export function createRequestServer(aggregator: Aggregator, view: ViewName, rounds: InputRounds): McpServer {
  const { info, capabilities, instructions } = viewServer(aggregator, view, 'modern');
  const product = new RequestServer(
    info,
    {
      ...(instructions ? { instructions } : {}),
      requestState: { verify: (state, ctx) => rounds.codec.verify(state, ctx) },
    },
    (tool) => aggregator.view(view).tools.get(tool)?.item.inputSchema,
  );
  // Given here rather than to McpServer, which would register handlers of its own for them.
  const server = product.server;
  server.registerCapabilities(capabilities);
  registerForwarding(server, {
    aggregator,
    view,
    rounds,
    callerOf: (ctx) => callerFromAuth(ctx.http?.authInfo),
    leaseFor: requestLease,
  });
  return product;
}
