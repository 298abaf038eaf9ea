import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  isInputRequiredResult,
  specTypeSchemas,
  type AuthInfo,
  type Implementation,
  type InboundClassificationOutcome,
  type LoggingLevel,
  type Result,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/server';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import { liftEnvelope } from '../../lib/mcp/direct-call.ts';
import type { Lease } from '../upstream/lease.ts';
import { callerFromAuth, type Aggregator, type Mount, type ViewName } from './aggregator.ts';
import {
  MAX_ROUNDS,
  countMessages,
  forwardedRequest,
  measure,
  relayed,
  scopeRefusal,
  splitQuestions,
  traced,
} from './forwarding.ts';
import { mintContext, type InputRounds } from './input-rounds.ts';
import { plainToolCall, writeJson, type CallParams, type CallRequest } from './modern-call.ts';
import { viewServer } from './session-server.ts';

/** How long an SSE answer may stay silent before a keep-alive comment (the SDK's default). */
const KEEP_ALIVE_MS = 15_000;

/** Whether a tool's input schema declares `x-mcp-header` parameters, by tool listing (lists are replaced whole). */
const declaresHeaders = new WeakMap<Tool, boolean>();

function mentionsParamHeader(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (!Array.isArray(value) && 'x-mcp-header' in value) return true;
  return Object.values(value).some(mentionsParamHeader);
}

/** Whether the SDK path checks `Mcp-Param-*` headers for calls of `tool` (its schema declares some). */
function checksParamHeaders(tool: Tool): boolean {
  let declares = declaresHeaders.get(tool);
  if (declares === undefined) {
    declares = mentionsParamHeader(tool.inputSchema);
    declaresHeaders.set(tool, declares);
  }
  return declares;
}

/** Params the SDK path's request schema takes as they are: a name, an arguments object, a progress token. */
function plainParams(params: CallParams): boolean {
  for (const key of Object.keys(params)) {
    if (key !== 'name' && key !== 'arguments' && key !== '_meta') return false;
  }
  const args: unknown = params.arguments;
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) return false;
  const token: unknown = params._meta?.['progressToken'];
  return token === undefined || typeof token === 'string' || typeof token === 'number';
}

/**
 * The tools/call a built-in server can answer in place, or null: a plain call (see plainToolCall) of a
 * 2026-07-28 in-process server's tool with no `Mcp-Param-*` headers to check.
 */
function inPlaceable(
  aggregator: Aggregator,
  view: ViewName,
  req: IncomingMessage,
  outcome: InboundClassificationOutcome,
) {
  const call = plainToolCall(aggregator, view, req, outcome);
  if (!call || !call.entry.source.upstream.callsInPlace) return null;
  // The upstream's session carries the call of a client that declared the Tasks extension (see forward).
  if (call.declared.extensions?.[TASKS_EXTENSION] !== undefined) return null;
  if (!plainParams(call.params) || checksParamHeaders(call.entry.item)) return null;
  return call;
}

/**
 * The answer to one call, as the SDK's per-request transport writes it: a JSON body, or, once a notification
 * comes before the result, an SSE stream (keep-alive comments while it is quiet) whose last event is the
 * response. Nothing is written to a client gone.
 */
class CallAnswer {
  readonly #res: ServerResponse;
  #keepAlive: NodeJS.Timeout | null = null;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  notify(notification: ServerNotification): void {
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      this.#keepAlive = setInterval(() => {
        if (!res.destroyed) res.write(': keepalive\n\n');
      }, KEEP_ALIVE_MS);
      this.#keepAlive.unref();
    }
    res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...notification })}\n\n`);
  }

  end(message: Record<string, unknown>): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    const text = JSON.stringify(message);
    if (res.headersSent) res.end(`event: message\ndata: ${text}\n\n`);
    else writeJson(res, 200, text);
  }
}

/**
 * A result as the SDK path encodes it: `resultType` added, and the identity of the server answering (the
 * tool's own server, stamped by the in-place call; the hub's view for an answer of the hub's) in `_meta`.
 */
function encoded(result: Result, hub: () => Implementation): Result {
  const typed = result['resultType'] === undefined ? { ...result, resultType: 'complete' } : result;
  const meta = typed._meta;
  if (meta?.[SERVER_INFO_META_KEY] !== undefined) return typed;
  return { ...typed, _meta: { ...meta, [SERVER_INFO_META_KEY]: hub() } };
}

/** A tool result the hub makes itself, in the wire schema's key order (as the SDK path checks it). */
function checked(result: Result): Result {
  const read = specTypeSchemas.CallToolResult['~standard'].validate(result);
  if (read instanceof Promise || read.issues) throw new Error('the hub made an invalid tool result');
  return read.value;
}

/** A JSON-RPC error as the SDK path renders a thrown one. */
function rendered(error: unknown): Record<string, unknown> {
  const { code, message, data } = error as { code?: unknown; message?: string; data?: unknown };
  const number =
    typeof code === 'number' && Number.isSafeInteger(code) ? code : ProtocolErrorCode.InternalError;
  return {
    // The 2026-07-28 wire has no -32002 (resource not found): invalid params.
    code: number === -32002 ? ProtocolErrorCode.InvalidParams : number,
    message: message ?? 'Internal error',
    ...(data !== undefined ? { data } : {}),
  };
}

let nextOwner = 1;

/**
 * The lease of an in-place call: what the client declared in its envelope, its notifications written to its
 * answer, and its abort when the client goes. An in-process 2026-07-28 server asks nothing mid-call.
 */
function callLease(
  auth: AuthInfo,
  envelope: Record<string, unknown>,
  declared: Lease['capabilities'],
  answer: CallAnswer,
  signal: AbortSignal,
): Lease {
  return {
    owner: { id: `in-place:${nextOwner++}`, era: 'modern' },
    caller: callerFromAuth(auth),
    capabilities: declared,
    // 2026-07-28: no level in the request, no log messages for it.
    logLevel: (envelope[LOG_LEVEL_META_KEY] as LoggingLevel | undefined) ?? 'none',
    signal,
    notify: (notification) => answer.notify(notification),
    ask: (request) =>
      Promise.reject(
        new ProtocolError(ProtocolErrorCode.InvalidRequest, `${request.method} outside any round`),
      ),
  };
}

/**
 * The call made, with the rounds of `input_required` the hub fulfils itself (sampling through the llm
 * server): questions the client can answer go back to it in the hub's state, as on the SDK path.
 */
async function exchange(
  aggregator: Aggregator,
  rounds: InputRounds,
  target: Mount,
  lease: Lease,
  auth: AuthInfo,
  send: (extra: Record<string, unknown>) => Promise<Result>,
): Promise<Result> {
  let extra: Record<string, unknown> = {};
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const result = await send(extra);
    if (!isInputRequiredResult(result)) return result;
    const state = result.requestState !== undefined ? { requestState: result.requestState } : {};
    const { own, theirs } = await splitQuestions(
      aggregator,
      target.upstream,
      result.inputRequests ?? {},
      lease,
    );
    if (Object.keys(theirs).length)
      return rounds.relay({ inputRequests: theirs, ...state }, own, mintContext(auth));
    extra = { inputResponses: own, ...state };
  }
  throw new ProtocolError(
    ProtocolErrorCode.InternalError,
    `'${target.name}' kept asking for input (${MAX_ROUNDS} rounds)`,
  );
}

/**
 * Answers a 2026-07-28 tools/call of a built-in (in-process) server's tool with the hub's own code: the
 * call made in place (no per-request MCP server, no web Request/Response, no transport), its progress and
 * log messages streamed as SSE events, and the same bytes as the SDK path writes. Returns false, having
 * written nothing, when the call is not one to answer this way.
 */
export async function inPlaceCall(request: CallRequest): Promise<boolean> {
  const { aggregator, rounds, view, req, res, auth, outcome } = request;
  const call = inPlaceable(aggregator, view, req, outcome);
  if (!call) return false;
  aggregator.metrics.callsServed.inc({ path: 'in_place' });
  const { id, name, params, entry, declared } = call;
  const hub = () => viewServer(aggregator, view, 'modern').info;
  const answer = new CallAnswer(res);
  // The keys in the order the SDK's protocol layer writes a response.
  const respond = (result: Result) => answer.end({ result: encoded(result, hub), jsonrpc: '2.0', id });
  const refusal = scopeRefusal(aggregator, name, entry, callerFromAuth(auth));
  if (refusal) {
    respond(checked(refusal));
    return true;
  }
  const target = entry.source;
  const label = entry.original;
  const annotations = entry.item.annotations;
  const retryable = Boolean(annotations?.readOnlyHint || annotations?.idempotentHint);
  const args = params.arguments ?? {};
  const abort = new AbortController();
  // A client gone before its answer cancels the call (the tool's signal aborts).
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  if (res.destroyed) abort.abort();
  // The client's envelope is the hub's business; the tool gets the hub's own (see Upstream.forward).
  const { envelope, own } = liftEnvelope(params._meta);
  const lease = callLease(auth, envelope, declared, answer, abort.signal);
  try {
    const result = await traced(view, target, { method: 'tools/call', label }, own, (trace) =>
      measure(
        aggregator.metrics,
        target,
        'tools/call',
        label,
        async () => {
          const request = forwardedRequest(target, own, lease, trace);
          const forwarded = { name: label, arguments: args, _meta: request.meta };
          try {
            return await exchange(aggregator, rounds, target, lease, auth, (extra) =>
              target.upstream.forward(lease, retryable, 'tools/call', { ...forwarded, ...extra }, entry.item),
            );
          } catch (error) {
            throw relayed(error);
          } finally {
            request.release();
          }
        },
        (result) => (result as { isError?: boolean }).isError === true,
      ),
    );
    countMessages(aggregator, entry, args, result);
    respond(result);
  } catch (error) {
    answer.end({ jsonrpc: '2.0', id, error: rendered(error) });
  }
  return true;
}
