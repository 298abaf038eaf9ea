import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  isJsonContentType,
  type AuthInfo,
  type ClientCapabilities,
  type InboundClassificationOutcome,
} from '@modelcontextprotocol/server';
import { TASKS_EXTENSION } from '../../schemas/mcp-task.ts';
import { headerOf } from '../../lib/mcp/http-guard.ts';
import type { Aggregator, ViewName } from './aggregator.ts';
import type { InputRounds } from './input-rounds.ts';

/** The protocol revisions the SDK path serves 2026-07-28 requests in (its supported modern revisions). */
const MODERN_REVISIONS: readonly string[] = ['2026-07-28'];

/** A 2026-07-28 request past the gateway's checks, offered to a fast path of the hub (relay, in place). */
export interface CallRequest {
  aggregator: Aggregator;
  /** Where an `input_required` answer's state goes (the hub's own, signed). */
  rounds: InputRounds;
  view: ViewName;
  req: IncomingMessage;
  res: ServerResponse;
  auth: AuthInfo;
  outcome: InboundClassificationOutcome;
}

export interface CallParams {
  name?: unknown;
  arguments?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
  requestState?: unknown;
  inputResponses?: unknown;
}

/** A request header as one string (trimmed), or undefined. */
export function header(req: IncomingMessage, name: string): string | undefined {
  return headerOf(req, name)?.trim();
}

/**
 * The 2026-07-28 tools/call a fast path of the hub may answer without the SDK path, or null: one whose
 * request the SDK path would serve (a JSON body, a supported revision named in the header too, `Mcp-Method`
 * and `Mcp-Name` headers that agree with the body), of a tool of the view, with no rounds of
 * `input_required` in it (the hub's state in them), and not one that may become a task the hub names for
 * the client. The hub's own answers (an unknown or switched-off tool, a refused header) come from the SDK
 * path.
 */
export function plainToolCall(
  aggregator: Aggregator,
  view: ViewName,
  req: IncomingMessage,
  outcome: InboundClassificationOutcome,
) {
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request') return null;
  const message = outcome.message;
  if (message.method !== 'tools/call') return null;
  const params = (message.params ?? {}) as CallParams;
  if (typeof params.name !== 'string') return null;
  if (params.requestState !== undefined || params.inputResponses !== undefined) return null;
  if (!isJsonContentType(req.headers['content-type'])) return null;
  const revision = outcome.classification.revision;
  if (revision === undefined || !MODERN_REVISIONS.includes(revision)) return null;
  if (header(req, 'mcp-protocol-version') !== revision) return null;
  if (header(req, 'mcp-method') !== 'tools/call' || header(req, 'mcp-name') !== params.name) return null;
  const entry = aggregator.view(view).tools.get(params.name);
  if (!entry) return null;
  const declared = (params._meta?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
  if (entry.source.servesTasks && declared.extensions?.[TASKS_EXTENSION] !== undefined) return null;
  return { id: message.id, name: params.name, params, entry, declared };
}

/** A JSON answer written as it is, its length given (no chunked framing, no ETag hashing). */
export function writeJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
