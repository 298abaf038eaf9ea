import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { SubscribeTopicInput, SubscribeTopicOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerUnsubscribeTopic(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'unsubscribe_topic',
    title: 'Unsubscribe from a topic',
    description:
      'Stops new topic:<name> envelopes reaching your inbox. Copies already delivered stay until acked.',
    scope: 'write',
    input: SubscribeTopicInput,
    output: SubscribeTopicOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ topic }, { caller }) => {
      const result = await router.unsubscribeTopic(requireAgent(caller), topic);
      return {
        structured: { topic, ...result },
        text: result.changed ? `unsubscribed from ${topic}` : `was not subscribed to ${topic}`,
      };
    },
  });
}
