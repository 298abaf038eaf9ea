import type { Request, Response } from 'express';
import type { Dispatcher } from 'undici';
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  type AuthInfo,
  type ClientCapabilities,
  type InboundClassificationOutcome,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import { callerFromAuth, type Aggregator, type Mount, type ViewName } from './aggregator.ts';
import { countMessages, measure, scopeRefusal, traced, withCaller } from './forwarding.ts';
import type { InputRounds } from './input-rounds.ts';

type JsonRpcId = string | number;
type Message = Record<string, unknown>;

interface CallParams {
  name?: unknown;
  arguments?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
  requestState?: unknown;
  inputResponses?: unknown;
}

/** The upstream's JSON-RPC error, for the metrics and the span; the client already has it. */
class RelayedError extends Error {}

/**
 * The tools/call of a 2026-07-28 client that can go to its upstream as bytes, or null when the hub must stay
 * in the middle: rounds of `input_required` (the hub's state in them), a call that may become a task the
 * hub names for the client, a client that cannot sample where the hub answers sampling for it, an upstream
 * not spoken to in 2026-07-28 over HTTP. The hub's own answers (an unknown or switched-off tool) come from
 * the SDK path too.
 */
function relayable(
  aggregator: Aggregator,
  view: ViewName,
  req: Request,
  outcome: InboundClassificationOutcome,
) {
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request') return null;
  const message = outcome.message;
  if (message.method !== 'tools/call') return null;
  const params = (message.params ?? {}) as CallParams;
  if (typeof params.name !== 'string') return null;
  if (params.requestState !== undefined || params.inputResponses !== undefined) return null;
  // The upstream gets headers the hub writes: one that disagrees with the body is refused on the SDK path.
  if (req.get('mcp-method')?.trim() !== 'tools/call' || req.get('mcp-name')?.trim() !== params.name)
    return null;
  const entry = aggregator.view(view).tools.get(params.name);
  if (!entry?.source.upstream.relayable) return null;
  const declared = (params._meta?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
  if (aggregator.sampler && !declared.sampling) return null;
  if (entry.source.servesTasks && declared.extensions?.[TASKS_EXTENSION] !== undefined) return null;
  return { id: message.id, name: params.name, params, entry };
}

/** The headers the upstream gets: the call's own, its name as the upstream knows it, the hub's trace context. */
function upstreamHeaders(req: Request, tool: string, trace: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': req.get('mcp-protocol-version') ?? '',
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

/**
 * Sends a 2026-07-28 tools/call to its upstream over the byte relay and the answer back as it comes: a JSON
 * body whole, an SSE stream event by event (progress and log messages as the upstream sent them). What the
 * hub touches: the tool's name (unprefixed), the caller in `_meta`, the trace context, and an
 * `input_required` answer's `requestState`, wrapped in the hub's own so that the client's next round goes
 * through the hub's rounds. Returns false, having written nothing, when the call is not one to relay.
 */
export async function relayCall(
  aggregator: Aggregator,
  rounds: InputRounds,
  view: ViewName,
  req: Request,
  res: Response,
  auth: AuthInfo,
  outcome: InboundClassificationOutcome,
): Promise<boolean> {
  const call = relayable(aggregator, view, req, outcome);
  if (!call) return false;
  const { id, name, params, entry } = call;
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
  const ctx = { mcpReq: { method: 'tools/call' }, http: { authInfo: auth } } as unknown as ServerContext;
  const restate = async (message: Message): Promise<Message> => {
    const result = message['result'] as
      { resultType?: unknown; inputRequests?: Record<string, unknown>; requestState?: string } | undefined;
    if (result?.resultType !== 'input_required') return message;
    return { ...message, result: await rounds.relay(result, {}, ctx) };
  };
  try {
    await measure(
      aggregator.metrics,
      target,
      'tools/call',
      label,
      () =>
        traced(view, target, { method: 'tools/call', label }, params._meta, async (trace) => {
          const body = JSON.stringify({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { ...params, name: label, _meta: { ...withCaller(params._meta, caller), ...trace } },
          });
          const headers = upstreamHeaders(req, label, trace);
          const answer = await target.upstream.relayed(retryable, (relay) =>
            relay.post(headers, body, abort.signal, aggregator.requestTimeoutMs),
          );
          const message = await deliver(target, answer, res, id, restate);
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

/**
 * Writes the upstream's answer to the client; returns the JSON-RPC response in it. An answer that is none
 * (an HTTP error page) becomes a JSON-RPC error naming the upstream and its status.
 */
async function deliver(
  target: Mount,
  answer: Dispatcher.ResponseData,
  res: Response,
  id: JsonRpcId,
  restate: (message: Message) => Promise<Message>,
): Promise<Message> {
  const type = String(answer.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) return stream(target, answer, res, id, restate);
  const text = await answer.body.text();
  const message = parsed(text);
  if (answers(message, id)) {
    const sent = await restate(message);
    writeJson(res, answer.statusCode, sent === message ? text : JSON.stringify(sent));
    return sent;
  }
  const failure = {
    jsonrpc: '2.0',
    id,
    error: { code: -32603, message: `upstream '${target.name}' answered HTTP ${answer.statusCode}` },
  };
  writeJson(res, 502, JSON.stringify(failure));
  return failure;
}

/** A JSON answer written as it is (express's `send` would hash it for an ETag no client of MCP uses). */
function writeJson(res: Response, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** An SSE answer relayed event by event; the event carrying the response is the one the hub may rewrite. */
async function stream(
  target: Mount,
  answer: Dispatcher.ResponseData,
  res: Response,
  id: JsonRpcId,
  restate: (message: Message) => Promise<Message>,
): Promise<Message> {
  res.writeHead(answer.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let response: Message | null = null;
  let buffered = '';
  const pass = async (block: string) => {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    const message = data ? parsed(data) : null;
    if (!answers(message, id)) return block;
    response = await restate(message);
    return response === message ? block : `event: message\ndata: ${JSON.stringify(response)}\n\n`;
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
  if (!response) {
    response = {
      jsonrpc: '2.0',
      id,
      error: { code: -32603, message: `upstream '${target.name}' ended its stream without an answer` },
    };
    res.write(`event: message\ndata: ${JSON.stringify(response)}\n\n`);
  }
  res.end();
  return response;
}
