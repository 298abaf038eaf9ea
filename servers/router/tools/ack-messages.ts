import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { AckMessagesInput, AckMessagesOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerAckMessages(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'ack_messages',
    title: 'Acknowledge messages',
    description:
      'Removes messages from your own inbox once handled. Ids that are not in your inbox (already acked, ' +
      "expired, or someone else's) are listed as unknown and change nothing.",
    scope: 'write',
    input: AckMessagesInput,
    output: AckMessagesOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    handler: async ({ ids }, { caller }) => {
      const result = await router.ack(requireAgent(caller), ids);
      return {
        structured: result,
        text: `acked ${result.acked.length}${result.unknown.length ? `, ${result.unknown.length} unknown` : ''}`,
      };
    },
  });
}
