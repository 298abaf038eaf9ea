import type { ToolExtra } from '../../../lib/mcp/define-tool.ts';

/**
 * A progress reporter for the calling client, or undefined when the request carries no progress token.
 * `progress` must grow with every notification (MCP), so callers pass a running total.
 */
export function progressReporter(
  extra: ToolExtra,
): ((progress: number, message: string, total?: number) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  return (progress, message, total) => {
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress, message, ...(total !== undefined ? { total } : {}) },
      })
      .catch(() => {
        // The client went away; the request itself will be canceled.
      });
  };
}
