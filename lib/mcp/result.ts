import type { CallToolResult } from '@modelcontextprotocol/server';

/** `_meta` key carrying a failed tool call's stable error code and hint. */
export const ERROR_META_KEY = 'io.plexus/error';

export interface ToolErrorInfo {
  code: string;
  message: string;
  hint?: string;
  /** The input field a malformed-input error is about (dotted path). */
  field?: string;
}

/**
 * A failure the model can recover from (convention 5): `isError`, a text the model reads, and the stable
 * code in `_meta` for programs. No structuredContent: clients validate it against the tool's output schema,
 * which describes success.
 */
export function toolError(code: string, message: string, hint?: string, field?: string): CallToolResult {
  const info: ToolErrorInfo = { code, message, ...(hint ? { hint } : {}), ...(field ? { field } : {}) };
  return {
    isError: true,
    content: [{ type: 'text', text: `[${code}] ${message}${hint ? ` (${hint})` : ''}` }],
    _meta: { [ERROR_META_KEY]: info },
  };
}

/** The error code of a failed tool result: ours from `_meta`, or 'invalid_params' for the SDK's input errors. */
export function toolErrorOf(result: unknown): ToolErrorInfo | null {
  const r = result as CallToolResult;
  if (!r.isError) return null;
  const info = r._meta?.[ERROR_META_KEY] as ToolErrorInfo | undefined;
  if (info) return info;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
  return { code: /^Input validation error|-32602/.test(text) ? 'invalid_params' : 'unknown', message: text };
}
