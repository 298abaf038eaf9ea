import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { FetchInboxInput, FetchInboxOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerFetchInbox(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'fetch_inbox',
    title: 'Fetch your inbox',
    description:
      'Returns messages waiting in your own inbox: urgent and high priority first, then in arrival order ' +
      '(kept per sender). Messages stay until you ack them or they expire, so a fetch without a cursor ' +
      'starts again at the oldest unacked one; pass the cursor to page further.',
    scope: 'read',
    input: FetchInboxInput,
    output: FetchInboxOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ cursor, limit }, { caller }) => {
      const page = await router.fetchInbox(requireAgent(caller), cursor, limit);
      return {
        structured: page,
        text: `${page.messages.length} message(s)${page.more ? ', more waiting' : ''}`,
      };
    },
  });
}
