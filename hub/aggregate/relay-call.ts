import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type ClientCapabilities,
  type InboundClassificationOutcome,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Caller } from '../../lib/mcp/caller.ts';
import { headerOf } from '../../lib/mcp/http-guard.ts';
import type { Lease, ServerToClientRequest } from '../upstream/lease.ts';
import { callerFromAuth, type Aggregator, type Mount, type ViewName } from './aggregator.ts';
import {
  MAX_ROUNDS,
  countMessages,
  measure,
  scopeRefusal,
  splitQuestions,
  traced,
  withCaller,
} from './forwarding.ts';
import { mintContext, type InputRounds } from './input-rounds.ts';
import { plainToolCall, writeJson, type CallRequest } from './modern-call.ts';

type JsonRpcId = string | number;
type Message = Record<string, unknown>;

/** The upstream's JSON-RPC error, for the metrics and the span; the client already has it. */
class RelayedError extends Error {}

/**
 * The tools/call of a 2026-07-28 client that can go to its upstream as bytes (see plainToolCall), or null:
 * an upstream not spoken to in 2026-07-28 over HTTP stays on the SDK path.
 */
function relayable(
  aggregator: Aggregator,
  view: ViewName,
  req: IncomingMessage,
  outcome: InboundClassificationOutcome,
) {
  const call = plainToolCall(aggregator, view, req, outcome);
  return call?.entry.source.upstream.relayable ? call : null;
}

/**
 * What the upstream is told the client can be asked: what it declared, and sampling when the hub answers
 * sampling for a client that cannot (as the SDK path's client for the call declares it).
 */
function declaredMeta(aggregator: Aggregator, declared: ClientCapabilities): Record<string, unknown> {
  if (!aggregator.sampler || declared.sampling) return {};
  return { [CLIENT_CAPABILITIES_META_KEY]: { ...declared, sampling: {} } };
}

/**
 * Whom the hub answers a relayed call's questions for: its caller, with what the client declared (the hub
 * answers only what the client cannot, so it never asks the client anything mid-call).
 */
function relayLease(caller: Caller, capabilities: ClientCapabilities, signal: AbortSignal): Lease {
  return {
    owner: { id: `relay:${caller.subject}`, era: 'modern' },
    caller,
    capabilities,
    logLevel: 'none',
    signal,
    notify: () => {},
    ask: (request) =>
      Promise.reject(
        new ProtocolError(ProtocolErrorCode.InvalidRequest, `${request.method} outside any round`),
      ),
  };
}

/** The headers the upstream gets: the call's own, its name as the upstream knows it, the hub's trace context. */
function upstreamHeaders(
  req: IncomingMessage,
  tool: string,
  trace: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': headerOf(req, 'mcp-protocol-version') ?? '',
    'mcp-method': 'tools/call',
    'mcp-name': tool,
    ...trace,
  };
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.startsWith('mcp-param-') && typeof value === 'string') headers[key] = value;
  }
  return headers;
}

function parsed(text: string): Message | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Message) : null;
  } catch {
    return null;
  }
}

/** Whether `message` answers the request `id` (its result or its error). */
function answers(message: Message | null, id: JsonRpcId): message is Message {
  return message !== null && message['id'] === id && ('result' in message || 'error' in message);
}

/** What the hub makes of the upstream's response: the one to write to the client, or the next round's answer. */
type Settled = { message: Message } | { next: Dispatcher.ResponseData };

/** One relayed call on its way back: where it goes, and what the hub makes of each response. */
interface Exchange {
  target: Mount;
  res: ServerResponse;
  id: JsonRpcId;
  settle(message: Message, round: number): Promise<Settled>;
}

type InputRequired = {
  resultType?: unknown;
  inputRequests?: Record<string, ServerToClientRequest>;
  requestState?: string;
};

/**
 * The hub's part in a relayed call's `input_required` answer, as on the SDK path: questions the client can
 * answer go back to it in the hub's state (wrapping the upstream's, with the hub's own answers to the rest);
 * when the hub answers them all (sampling through the llm server for a client that cannot sample), the call
 * goes to the upstream again with the answers. A question neither can answer ends the call with its error.
 */
function settler(
  aggregator: Aggregator,
  rounds: InputRounds,
  call: { target: Mount; id: JsonRpcId; ctx: ServerContext; lease: () => Lease },
  post: (extra: Record<string, unknown>) => Promise<Dispatcher.ResponseData>,
): Exchange['settle'] {
  return async (message, round) => {
    const result = message['result'] as InputRequired | undefined;
    if (result?.resultType !== 'input_required') return { message };
    const state = result.requestState !== undefined ? { requestState: result.requestState } : {};
    try {
      const { own, theirs } = await splitQuestions(
        aggregator,
        call.target.upstream,
        result.inputRequests ?? {},
        call.lease(),
      );
      if (Object.keys(theirs).length) {
        const wrapped = await rounds.relay({ inputRequests: theirs, ...state }, own, call.ctx);
        return { message: { ...message, result: wrapped } };
      }
      if (round + 1 >= MAX_ROUNDS) {
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `'${call.target.name}' kept asking for input (${MAX_ROUNDS} rounds)`,
        );
      }
      return { next: await post({ inputResponses: own, ...state }) };
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const data = error.data !== undefined ? { data: error.data } : {};
      return {
        message: {
          jsonrpc: '2.0',
          id: call.id,
          error: { code: error.code, message: error.message, ...data },
        },
      };
    }
  };
}

/**
 * Sends a 2026-07-28 tools/call to its upstream over the byte relay and the answer back as it comes: a JSON
 * body whole, an SSE stream event by event (progress and log messages as the upstream sent them). What the
 * hub touches: the tool's name (unprefixed), the caller in `_meta`, the trace context, and an
 * `input_required` answer — the questions the client can answer wrapped in the hub's state, so that the
 * client's next round goes through the hub's rounds; the others answered by the hub. Returns false, having
 * written nothing, when the call is not one to relay.
 */
export async function relayCall(request: CallRequest): Promise<boolean> {
  const { aggregator, rounds, view, req, res, auth, outcome } = request;
  const call = relayable(aggregator, view, req, outcome);
  if (!call) return false;
  aggregator.metrics.callsServed.inc({ path: 'relay' });
  const { id, name, params, entry, declared } = call;
  const caller = callerFromAuth(auth);
  const refusal = scopeRefusal(aggregator, name, entry, caller);
  if (refusal) {
    writeJson(res, 200, JSON.stringify({ jsonrpc: '2.0', id, result: refusal }));
    return true;
  }
  const target = entry.source;
  const label = entry.original;
  const annotations = entry.item.annotations;
  const retryable = Boolean(annotations?.readOnlyHint || annotations?.idempotentHint);
  const abort = new AbortController();
  // Only a client gone before its answer cancels the upstream call (an abort makes a DOMException: not free).
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  // The hub's state wraps the upstream's, bound to this caller and method as the SDK path binds it.
  const ctx = mintContext(auth);
  const lease = () => relayLease(caller, declared, abort.signal);
  try {
    await measure(
      aggregator.metrics,
      target,
      'tools/call',
      label,
      () =>
        traced(view, target, { method: 'tools/call', label }, params._meta, async (trace) => {
          const meta = {
            ...withCaller(params._meta, caller),
            ...declaredMeta(aggregator, declared),
            ...trace,
          };
          const headers = upstreamHeaders(req, label, trace);
          const post = (extra: Record<string, unknown>) => {
            const body = JSON.stringify({
              jsonrpc: '2.0',
              id,
              method: 'tools/call',
              params: { ...params, ...extra, name: label, _meta: meta },
            });
            return target.upstream.relayed(retryable, (relay) =>
              relay.post(headers, body, abort.signal, aggregator.requestTimeoutMs),
            );
          };
          const settle = settler(aggregator, rounds, { target, id, ctx, lease }, post);
          const message = await deliver({ target, res, id, settle }, await post({}), 0);
          if (message['error'] !== undefined) throw new RelayedError(JSON.stringify(message['error']));
          const result = (message['result'] ?? {}) as Result;
          countMessages(aggregator, entry, params.arguments ?? {}, result);
          return result;
        }),
      (result) => (result as { isError?: boolean }).isError === true,
    );
  } catch (error) {
    if (error instanceof RelayedError || res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return true;
    }
    const code = error instanceof ProtocolError ? error.code : -32603;
    const text =
      error instanceof ProtocolError ? error.message : `upstream '${target.name}' did not answer the call`;
    const data = error instanceof ProtocolError ? { data: error.data } : {};
    writeJson(res, 200, JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: text, ...data } }));
  }
  return true;
}

/** A JSON-RPC error for the call, saying what went wrong with its upstream. */
function failure(call: Exchange, what: string): Message {
  return {
    jsonrpc: '2.0',
    id: call.id,
    error: { code: -32603, message: `upstream '${call.target.name}' ${what}` },
  };
}

/**
 * Writes the upstream's answer (of round `round`) to the client; returns the JSON-RPC response in it. An
 * answer that is none (an HTTP error page) becomes a JSON-RPC error naming the upstream and its status. A
 * round the hub answers itself goes on in the same answer: after a stream, as more events of it.
 */
async function deliver(call: Exchange, answer: Dispatcher.ResponseData, round: number): Promise<Message> {
  const type = String(answer.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) return stream(call, answer, round);
  const text = await answer.body.text();
  const message = parsed(text);
  if (!answers(message, call.id))
    return finish(call, failure(call, `answered HTTP ${answer.statusCode}`), 502);
  const settled = await call.settle(message, round);
  if ('next' in settled) return deliver(call, settled.next, round + 1);
  return finish(call, settled.message, answer.statusCode, settled.message === message ? text : undefined);
}

/** Writes the call's response and ends: the JSON body (`text` as it came, if given), or a stream's last event. */
function finish(call: Exchange, message: Message, status: number, text?: string): Message {
  if (call.res.headersSent) call.res.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  else writeJson(call.res, status, text ?? JSON.stringify(message));
  return message;
}

/** An SSE answer relayed event by event; the event carrying the response is the one the hub may rewrite. */
async function stream(call: Exchange, answer: Dispatcher.ResponseData, round: number): Promise<Message> {
  const { res, id } = call;
  if (!res.headersSent)
    res.writeHead(answer.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let settled = null as Settled | null;
  let buffered = '';
  const pass = async (block: string) => {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    const message = data ? parsed(data) : null;
    if (!answers(message, id)) return block;
    settled = await call.settle(message, round);
    if ('next' in settled) return '';
    return settled.message === message
      ? block
      : `event: message\ndata: ${JSON.stringify(settled.message)}\n\n`;
  };
  answer.body.setEncoding('utf8');
  for await (const chunk of answer.body as AsyncIterable<string>) {
    buffered += chunk.replaceAll('\r\n', '\n');
    let end = buffered.indexOf('\n\n');
    while (end !== -1) {
      const block = buffered.slice(0, end + 2);
      buffered = buffered.slice(end + 2);
      res.write(await pass(block));
      end = buffered.indexOf('\n\n');
    }
  }
  if (buffered) res.write(await pass(buffered));
  if (!settled) return finish(call, failure(call, 'ended its stream without an answer'), answer.statusCode);
  if ('next' in settled) return deliver(call, settled.next, round + 1);
  res.end();
  return settled.message;
}
