import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { isErrorKind, PlexusError, type ErrorKind } from '../errors.ts';
import type { ToolErrorInfo } from '../mcp/result.ts';

/** Which call failed: the server as its client names it, and the tool as it was called (prefix included). */
export interface CallSite {
  server: string;
  tool: string;
}

/** A call to another Plexus part that failed, naming the server and the tool. */
export class CallError extends PlexusError {
  readonly server: string;
  readonly tool: string;

  constructor(
    site: CallSite,
    kind: ErrorKind,
    code: string,
    message: string,
    options: { hint?: string; field?: string } = {},
  ) {
    super(kind, code, message, options);
    this.name = new.target.name;
    this.server = site.server;
    this.tool = site.tool;
  }
}

/**
 * The called server refused the call: a tool error (`isError`), a protocol error or an HTTP refusal. It keeps
 * the server's code, hint, field and kind (`_meta['io.plexus/error']`); the message is the server's own.
 */
export class ToolError extends CallError {
  constructor(site: CallSite, info: ToolErrorInfo) {
    super(site, isErrorKind(info.kind) ? info.kind : 'internal', info.code, info.message, {
      ...(info.hint ? { hint: info.hint } : {}),
      ...(info.field ? { field: info.field } : {}),
    });
  }
}

/** The server answered with a result its schema in schemas/ does not allow; `field` names where. */
export class MalformedResultError extends CallError {
  constructor(site: CallSite, problem: PlexusError) {
    super(
      site,
      'internal',
      'malformed_result',
      `${site.server} ${site.tool} answered with a malformed result: ${problem.message}`,
      problem.field ? { field: problem.field } : {},
    );
  }
}

/** The call got no answer: connection refused or closed, timed out, the endpoint failing. */
export class UnreachableError extends CallError {
  constructor(site: CallSite, cause: unknown) {
    super(
      site,
      'unavailable',
      'server_unreachable',
      `${site.server} is unreachable (${site.tool}): ${reasonOf(cause)}`,
      {
        hint: 'try again shortly',
      },
    );
    this.cause = cause;
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof cause === 'string' ? `${message} (${cause})` : message;
}

/** Protocol-level refusals as tool error info: an unknown tool is not_found, bad params invalid. */
function protocolInfo(error: ProtocolError): ToolErrorInfo {
  const data = error.data as { code?: unknown } | undefined;
  const own = typeof data?.code === 'string' ? data.code : undefined;
  if (error.code === (ProtocolErrorCode.InvalidParams as number)) {
    // The SDK answers an unknown or disabled tool with InvalidParams "Tool <name> not found"; the hub names it.
    return own === 'unknown_tool' || /^Tool \S+ (not found|disabled)$/.test(error.message)
      ? { code: own ?? 'unknown_tool', message: error.message, kind: 'not_found' }
      : { code: own ?? 'invalid_params', message: error.message, kind: 'invalid' };
  }
  if (error.code === (ProtocolErrorCode.MethodNotFound as number)) {
    return { code: own ?? 'method_not_found', message: error.message, kind: 'not_found' };
  }
  return { code: own ?? `mcp_${error.code}`, message: error.message, kind: 'internal' };
}

/** HTTP statuses that are the server's answer, not a failure to reach it. */
const HTTP_REFUSALS: Partial<Record<number, { code: string; kind: ErrorKind }>> = {
  401: { code: 'unauthorized', kind: 'unauthorized' },
  403: { code: 'forbidden', kind: 'forbidden' },
  429: { code: 'rate_limited', kind: 'limit' },
};

/** The reason a server gave with an HTTP refusal (a JSON-RPC error's message, an OAuth error_description). */
export function statedReason(error: SdkHttpError): string | null {
  const text = error.data['text'];
  if (typeof text !== 'string') return null;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; error_description?: unknown };
    const reason = typeof body.error === 'object' ? body.error.message : body.error_description;
    return typeof reason === 'string' ? reason : null;
  } catch {
    return null;
  }
}

/** SDK errors about the exchange itself (not the transport): the two sides do not fit together. */
const SDK_MISMATCHES = new Set<string>([
  SdkErrorCode.CapabilityNotSupported,
  SdkErrorCode.UnsupportedResultType,
  SdkErrorCode.InputRequiredRoundsExceeded,
  SdkErrorCode.MethodNotSupportedByProtocolVersion,
]);

/** What a thrown call failure means: the server refused, answered badly, or could not be reached. */
export function callFailure(site: CallSite, error: unknown): PlexusError {
  if (error instanceof ProtocolError) return new ToolError(site, protocolInfo(error));
  if (error instanceof UnauthorizedError) {
    return new ToolError(site, { code: 'unauthorized', message: error.message, kind: 'unauthorized' });
  }
  if (error instanceof SdkHttpError) {
    const refusal = HTTP_REFUSALS[error.status];
    if (refusal) return new ToolError(site, { ...refusal, message: statedReason(error) ?? error.message });
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.InvalidResult) {
    return new MalformedResultError(site, new PlexusError('internal', 'invalid_result', error.message));
  }
  if (error instanceof SdkError && SDK_MISMATCHES.has(error.code)) {
    return new ToolError(site, { code: error.code.toLowerCase(), message: error.message, kind: 'internal' });
  }
  return new UnreachableError(site, error);
}
