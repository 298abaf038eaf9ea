import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { AskInput, AskOutput } from '../../../schemas/p2p.ts';
import type { PeerHandlers } from '../server.ts';

export function registerAsk(server: McpServer, host: ToolHost, handlers: PeerHandlers): void {
  defineTool(server, host, {
    name: 'ask',
    title: 'Ask this agent',
    description:
      'Puts a question (a signed chat/message envelope sealed to this agent, sender = you) to the agent and ' +
      'waits for its answer, returned as a signed envelope sealed to you. The exchange is kept in both ' +
      "agents' message history like any chat.",
    scope: 'write',
    input: AskInput,
    output: AskOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handler: async ({ envelope }, { caller, signal }) => {
      const answer = await handlers.ask(requireAgent(caller), envelope, signal);
      return { structured: { envelope: answer }, text: `answered ${String(envelope['id'])}` };
    },
  });
}
