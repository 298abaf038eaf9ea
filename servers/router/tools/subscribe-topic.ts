import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { SubscribeTopicInput, SubscribeTopicOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

export function registerSubscribeTopic(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'subscribe_topic',
    title: 'Subscribe to a topic',
    description:
      'Subscribes you to topic:<name>: from now on every envelope published to it (by others) lands in ' +
      'your inbox, where fetch_inbox and the inbox resource show it like direct mail.',
    scope: 'write',
    input: SubscribeTopicInput,
    output: SubscribeTopicOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ topic }, { caller }) => {
      const result = await router.subscribeTopic(requireAgent(caller), topic);
      return {
        structured: { topic, ...result },
        text: result.changed ? `subscribed to ${topic}` : `already subscribed to ${topic}`,
      };
    },
  });
}
