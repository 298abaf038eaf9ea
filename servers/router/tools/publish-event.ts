import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { PublishEventInput, PublishEventOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerPublishEvent(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'publish_event',
    title: 'Publish a system event',
    description:
      'Appends a system event (agent online/offline, task state, tool published, identity revoked, …) to ' +
      'the event stream and notifies plexus://events subscribers. For the Plexus servers and operators.',
    scope: 'admin',
    input: PublishEventInput,
    output: PublishEventOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ type, subject, data }, { caller }) => {
      const event = await router.publishEvent(caller.subject, { type, subject, data });
      return { structured: event, text: `event ${event.type} about ${event.subject}` };
    },
  });
}
