import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { FetchEventsInput, FetchEventsOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerFetchEvents(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'fetch_events',
    title: 'Fetch system events',
    description:
      'Reads the system event stream oldest first (from the oldest retained event without a cursor), ' +
      'optionally only some types. Keep the returned cursor to follow on; subscribe to plexus://events ' +
      'to learn when there is more.',
    scope: 'read',
    input: FetchEventsInput,
    output: FetchEventsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ cursor, limit, types }, _ctx) => {
      const page = await router.fetchEvents(cursor, limit, types);
      return {
        structured: page,
        text: `${page.events.length} event(s)${page.more ? ', more waiting' : ''}`,
      };
    },
  });
}
