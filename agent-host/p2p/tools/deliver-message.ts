import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { DeliverMessageInput, DeliverMessageOutput } from '../../../schemas/p2p.ts';
import type { PeerHandlers } from '../server.ts';

export function registerDeliverMessage(server: McpServer, host: ToolHost, handlers: PeerHandlers): void {
  defineTool(server, host, {
    name: 'deliver_message',
    title: 'Deliver a message directly',
    description:
      'Hands this agent one signed, sealed chat/message envelope addressed to it, without the hub. The ' +
      'sender must be you. It is stored before this returns; the same id delivered again (or also through ' +
      'the hub) is a duplicate, not a second message.',
    scope: 'write',
    input: DeliverMessageInput,
    output: DeliverMessageOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async ({ envelope }, { caller }) => {
      const outcome = await handlers.deliver(requireAgent(caller), envelope);
      return { structured: outcome, text: `${outcome.status} ${outcome.id}` };
    },
  });
}
