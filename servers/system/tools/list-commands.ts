import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { ListCommandsOutput, type AllowedCommand } from '../../../schemas/system/tools.ts';

export function registerListCommands(
  server: McpServer,
  host: ToolHost,
  allowList: readonly AllowedCommand[],
): void {
  defineTool(server, host, {
    name: 'list_commands',
    title: 'List allow-listed commands',
    description: 'The commands run_command may run, as the operator configured them.',
    scope: 'read',
    input: z.object({}),
    output: ListCommandsOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async () => {
      const commands = allowList.map(({ name, path, description }) => ({ name, path, description }));
      return {
        structured: { commands },
        text: commands.length
          ? commands.map((c) => c.name).join(', ')
          : 'no commands are allow-listed (read-only)',
      };
    },
  });
}
