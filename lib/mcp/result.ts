import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A successful tool result: structured content plus a short human-readable line. */
export function toolResult<T extends Record<string, unknown>>(
  structured: T,
  text: string,
): CallToolResult & { structuredContent: T } {
  return { structuredContent: structured, content: [{ type: 'text', text }] };
}

/**
 * A failure the model can recover from (convention 5): `isError` with a stable code and a hint.
 * Malformed requests are McpError(InvalidParams) instead.
 */
export function toolError(code: string, message: string, hint?: string): CallToolResult {
  const text = hint ? `${message} (${hint})` : message;
  return {
    isError: true,
    structuredContent: { error: { code, message, ...(hint ? { hint } : {}) } },
    content: [{ type: 'text', text }],
  };
}
