import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { GetInboxDepthsInput, GetInboxDepthsOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerGetInboxDepths(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'get_inbox_depths',
    title: 'Inbox depths',
    description:
      'The fullest inboxes and how many envelopes wait in each (counts only, never content; for operators).',
    scope: 'admin',
    input: GetInboxDepthsInput,
    output: GetInboxDepthsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ limit }) => {
      const inboxes = await router.inboxDepths(limit);
      return {
        structured: { inboxes },
        text: `${inboxes.length} inbox(es) with mail waiting`,
      };
    },
  });
}
