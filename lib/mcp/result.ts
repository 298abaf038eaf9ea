import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ErrorKind, PlexusError } from '../errors.ts';

/** `_meta` key carrying a failed tool call's stable error code and hint. */
export const ERROR_META_KEY = 'io.plexus/error';

export interface ToolErrorInfo {
  code: string;
  message: string;
  hint?: string;
  /** The input field a malformed-input error is about (dotted path). */
  field?: string;
  /** The PlexusError kind the server failed with, so a calling Plexus part keeps it. */
  kind?: ErrorKind;
}

/**
 * A failure the model can recover from (CONTRIBUTING.md, convention 5 "Two error channels"): `isError`, a
 * text the model reads, and the stable code in `_meta` for programs. No structuredContent: clients validate
 * it against the tool's output schema, which describes success.
 */
export function toolError(code: string, message: string, hint?: string, field?: string): CallToolResult {
  return errorResult({ code, message, ...(hint ? { hint } : {}), ...(field ? { field } : {}) });
}

/** A PlexusError as a failed tool result, its kind kept in `_meta` beside code, hint and field. */
export function toolErrorFrom(error: PlexusError): CallToolResult {
  return errorResult({
    code: error.code,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.field ? { field: error.field } : {}),
    kind: error.kind,
  });
}

function errorResult(info: ToolErrorInfo): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `[${info.code}] ${info.message}${info.hint ? ` (${info.hint})` : ''}` }],
    _meta: { [ERROR_META_KEY]: info },
  };
}

/** The SDK's own input-validation failure: `… for tool <name>: <dotted.path>: <message>, …`. */
const SDK_INPUT_ERROR = /^Input validation error: Invalid arguments for tool [^:]+: (?:([\w.-]+): )?/;

/**
 * The error of a failed tool result: ours from `_meta`, or `invalid_params` (naming the field when the text
 * does) for the SDK's input errors, `unknown` for anything else.
 */
export function toolErrorOf(result: unknown): ToolErrorInfo | null {
  const r = result as CallToolResult;
  if (!r.isError) return null;
  const info = r._meta?.[ERROR_META_KEY] as ToolErrorInfo | undefined;
  if (info) return info;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
  const input = SDK_INPUT_ERROR.exec(text);
  if (input || /-32602/.test(text)) {
    return {
      code: 'invalid_params',
      message: text,
      kind: 'invalid',
      ...(input?.[1] ? { field: input[1] } : {}),
    };
  }
  return { code: 'unknown', message: text };
}
