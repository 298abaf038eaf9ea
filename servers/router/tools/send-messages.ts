import type { McpServer } from '@modelcontextprotocol/server';
import { PlexusError } from '../../../lib/errors.ts';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { SendMessagesInput, SendMessagesOutput, type SendOutcome } from '../../../schemas/router/tools.ts';
import type { Router } from '../domain/router.ts';
import { rejectedOutcome } from './refusal.ts';

export function registerSendMessages(
  server: McpServer,
  host: ToolHost,
  router: Router,
  maxBatch: number,
): void {
  defineTool(server, host, {
    name: 'send_messages',
    title: 'Send a batch of signed messages',
    description:
      `Delivers up to ${maxBatch} signed envelopes (to agents or topics) in one call and one store ` +
      'transaction. Each envelope is checked on its own: the result lists, in order, which were accepted ' +
      'and why the others were refused. Use it for bulk traffic instead of one call per message.',
    scope: 'write',
    input: SendMessagesInput,
    output: SendMessagesOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ envelopes }, { caller }) => {
      const sender = requireAgent(caller);
      if (envelopes.length > maxBatch) {
        throw new PlexusError(
          'limit',
          'batch_too_large',
          `envelopes: ${envelopes.length} envelopes, more than this router's limit of ${maxBatch}`,
          { field: 'envelopes', hint: `split the batch into calls of at most ${maxBatch}` },
        );
      }
      const outcomes = await router.send(sender, envelopes, 'any');
      const results = outcomes.map((o, i): SendOutcome =>
        o.status === 'accepted'
          ? { status: 'accepted', id: o.id, delivered: o.delivered }
          : rejectedOutcome(o.refusal, `envelopes.${i}`),
      );
      const accepted = results.filter((r) => r.status === 'accepted').length;
      const rejected = results.length - accepted;
      return {
        structured: { accepted, rejected, results },
        text: `${accepted} accepted, ${rejected} refused`,
      };
    },
  });
}
