import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { TOPIC_PREFIX } from '../../../schemas/common.ts';
import { PublishInput, PublishOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';
import { refusalError } from './refusal.ts';

export function registerPublish(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'publish',
    title: 'Publish to a topic',
    description:
      'Publishes one signed envelope addressed to topic:<name>. It is copied into the inbox of every ' +
      'current subscriber (not the sender); later subscribers do not see it. Topic envelopes are plaintext.',
    scope: 'write',
    input: PublishInput,
    output: PublishOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ envelope }, { caller }) => {
      const [outcome] = await router.send(requireAgent(caller), [envelope], 'topic');
      if (!outcome) throw new Error('router returned no outcome');
      if (outcome.status === 'rejected') throw refusalError(outcome.refusal, 'envelope');
      const { id, recipient, delivered } = outcome;
      const topic = recipient.slice(TOPIC_PREFIX.length);
      return {
        structured: { id, topic, delivered },
        text: `published ${id} to ${recipient}: ${delivered} subscriber(s)`,
      };
    },
  });
}
