import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { SendMessageInput, SendMessageOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';
import { refusalError } from './refusal.ts';

export function registerSendMessage(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'send_message',
    title: 'Send a signed message',
    description:
      "Delivers one signed envelope to an agent's inbox. The sender must be you; the signature, time " +
      'window, size and replay checks each refuse with their own code. Sealed content (enc) is carried as is.',
    scope: 'write',
    input: SendMessageInput,
    output: SendMessageOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ envelope }, { caller }) => {
      const [outcome] = await router.send(requireAgent(caller), [envelope], 'agent');
      if (!outcome) throw new Error('router returned no outcome');
      if (outcome.status === 'rejected') throw refusalError(outcome.refusal, 'envelope');
      const { id, recipient, delivered } = outcome;
      return { structured: { id, recipient, delivered }, text: `sent ${id} to ${recipient}` };
    },
  });
}
