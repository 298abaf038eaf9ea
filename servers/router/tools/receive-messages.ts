import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { ReceiveMessagesInput, ReceiveMessagesOutput } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';

/**
 * The inbox in one call per page: it acks what the caller handled from the last page, then answers with the
 * next one, waiting for mail when there is none. It removes messages, so it needs `write` (fetch_inbox, which
 * only reads, stays `read`).
 */
export function registerReceiveMessages(server: McpServer, host: ToolHost, router: Router): void {
  defineTool(server, host, {
    name: 'receive_messages',
    title: 'Receive messages (ack the last page, wait for the next)',
    description:
      'Removes the messages you name in `ack` (the ones you handled from the previous page) from your own ' +
      'inbox, then returns the messages waiting at its head (or after `cursor`): urgent and high priority ' +
      'first, then in arrival order. When none wait, it waits up to `wait_ms` for mail. Messages you do not ' +
      'ack come again on the next call from the head, so a lost answer loses nothing.',
    scope: 'write',
    input: ReceiveMessagesInput,
    output: ReceiveMessagesOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async ({ ack, cursor, limit, wait_ms }, { caller, signal }) => {
      const request = { ack, limit, waitMs: wait_ms, ...(cursor === undefined ? {} : { cursor }) };
      const page = await router.receive(requireAgent(caller), request, signal);
      return {
        structured: page,
        text: `${page.messages.length} message(s)${page.more ? ', more waiting' : ''}; acked ${page.acked}`,
      };
    },
  });
}
