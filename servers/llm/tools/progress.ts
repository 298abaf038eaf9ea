import type { ServerContext } from '@modelcontextprotocol/server';

/**
 * A progress reporter for the calling client, or undefined when the request carries no progress token.
 * `progress` must grow with every notification (MCP), so callers pass a running total.
 */
export function progressReporter(
  mcp: ServerContext,
): ((progress: number, message: string, total?: number) => void) | undefined {
  const token = mcp.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  return (progress, message, total) => {
    mcp.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress, message, ...(total !== undefined ? { total } : {}) },
      })
      .catch(() => {
        // The client went away; the request itself will be canceled.
      });
  };
}
