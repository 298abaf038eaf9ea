import {
  SERVER_INFO_META_KEY,
  SdkError,
  SdkErrorCode,
  isInputRequiredResult,
  specTypeSchemas,
  type AuthInfo,
  type Implementation,
  type McpServer,
  type Result,
  type ServerContext,
  type ServerNotification,
} from '@modelcontextprotocol/server';

/** The `_meta` keys the wire lifts out of a 2026-07-28 request into its envelope before any handler sees it. */
const ENVELOPE_KEYS = [
  'io.modelcontextprotocol/protocolVersion',
  'io.modelcontextprotocol/clientCapabilities',
  'io.modelcontextprotocol/clientInfo',
  'io.modelcontextprotocol/logLevel',
];

/**
 * A 2026-07-28 request's `_meta` as the wire splits it: the envelope, and the request's own keys (undefined
 * when there are none), which are all a handler sees as its request's `_meta`.
 */
export function liftEnvelope(meta: Record<string, unknown> | undefined): {
  envelope: Record<string, unknown>;
  own: Record<string, unknown> | undefined;
} {
  const envelope: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (ENVELOPE_KEYS.includes(key)) envelope[key] = value;
    else own[key] = value;
  }
  return { envelope, own: Object.keys(own).length ? own : undefined };
}

/**
 * The SDK's own dispatch seams of a `Server`, protected there (its role classes use them to run a request
 * through the stored handler chain without the wire): typed here, since a protected member is reachable only
 * from a subclass and the server was built by its component.
 */
interface Dispatch {
  _getRequestHandler(method: string): ((request: unknown, ctx: ServerContext) => Promise<Result>) | undefined;
  buildContext(ctx: Omit<ServerContext, 'mcpReq'> & { mcpReq: Record<string, unknown> }): ServerContext;
  _outboundServerInfo(): Implementation | undefined;
}

export interface DirectCallOptions {
  /** Aborts the call (the client cancelled or went away). */
  signal: AbortSignal;
  /** How long the call may take before it is given up, as a client gives up a request. */
  timeoutMs: number;
  /** Where the tool's progress and log messages go. */
  notify(notification: ServerNotification): void;
}

/**
 * A `tools/call` of a server in this process, made without a transport, a client or a JSON-RPC round trip:
 * the request goes through the server's own stored handler chain (the SDK's request, argument and result
 * checks, its error rendering, and each tool's own scope check and error boundary), as the caller `auth`;
 * the result comes back as a 2026-07-28 client of that server reads it (its `serverInfo` in `_meta`, the
 * wire schema's key order), so whoever forwards it answers the same bytes as over a connection. Only a call
 * with no rounds of `input_required` in it (no `inputResponses`, no `requestState`) is made this way.
 */
export class DirectCalls {
  readonly #server: McpServer;
  readonly #auth: AuthInfo;
  #nextId = 1;

  /** `server` must be serving 2026-07-28 (a connection's instance pinned to that era). */
  constructor(server: McpServer, auth: AuthInfo) {
    this.#server = server;
    this.#auth = auth;
  }

  async call(params: Record<string, unknown>, options: DirectCallOptions): Promise<Result> {
    const dispatch = this.#server.server as unknown as Dispatch;
    const handler = dispatch._getRequestHandler('tools/call');
    if (!handler) throw new Error('the server serves no tools');
    const { _meta: meta, ...rest } = params as { _meta?: Record<string, unknown> };
    const { envelope, own } = liftEnvelope(meta);
    const hasOwn = own !== undefined;
    const id = this.#nextId++;
    const request = {
      jsonrpc: '2.0' as const,
      id,
      method: 'tools/call',
      params: { ...rest, ...(hasOwn ? { _meta: own } : {}) },
    };
    // Cancelled or timed out, the call is given up at once, the tool told through its signal: as a client's.
    const stop = new AbortController();
    const giveUp = (reason: unknown) =>
      stop.abort(
        reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason)),
      );
    const timer = setTimeout(
      () =>
        giveUp(
          new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: options.timeoutMs }),
        ),
      options.timeoutMs,
    );
    const cancel = () => giveUp(options.signal.reason);
    options.signal.addEventListener('abort', cancel, { once: true });
    const given = new Promise<never>((_resolve, reject) => {
      stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
    });
    // A caller gone already (its client left while the call was on its way here) is given up at once.
    if (options.signal.aborted) cancel();
    const ctx = dispatch.buildContext({
      sessionId: undefined,
      mcpReq: {
        id,
        method: 'tools/call',
        _meta: hasOwn ? own : undefined,
        ...(Object.keys(envelope).length ? { envelope } : {}),
        requestState: () => undefined,
        signal: stop.signal,
        send: () => Promise.reject(new Error('a tool called in place cannot send requests to the client')),
        notify: (notification: ServerNotification) => {
          options.notify(notification);
          return Promise.resolve();
        },
      },
      http: { authInfo: this.#auth },
    });
    try {
      return asRead(await Promise.race([handler(request, ctx), given]), dispatch._outboundServerInfo());
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', cancel);
    }
  }
}

/** The result as the server's wire encodes it and a client decodes it (serverInfo stamped, keys in order). */
function asRead(result: Result, serverInfo: Implementation | undefined): Result {
  const meta = result._meta;
  const stamped =
    serverInfo === undefined || meta?.[SERVER_INFO_META_KEY] !== undefined
      ? meta
      : { [SERVER_INFO_META_KEY]: serverInfo, ...(meta ?? {}) };
  const withMeta = stamped === undefined ? {} : { _meta: stamped };
  if (isInputRequiredResult(result)) {
    const { inputRequests, requestState } = result;
    return {
      resultType: 'input_required',
      inputRequests,
      ...(requestState !== undefined ? { requestState } : {}),
      ...withMeta,
    };
  }
  const read = specTypeSchemas.CallToolResult['~standard'].validate({ ...result, ...withMeta });
  // The server's handler chain checked the result against the same wire schema already.
  if (read instanceof Promise || read.issues) throw new Error('the tool answered an invalid result');
  const { resultType: _wire, ...value } = read.value as Record<string, unknown>;
  return value;
}
