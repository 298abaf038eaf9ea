import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { CommandResult, RunCommandInput, type AllowedCommand } from '../../../schemas/system/tools.ts';
import { authorizeCommand } from '../domain/command-policy.ts';
import { runCommand } from '../domain/run-command.ts';

/** Registered only when the operator allow-lists commands: otherwise the server is read-only. */
export function registerRunCommand(
  server: McpServer,
  host: ToolHost,
  allowList: readonly AllowedCommand[],
): void {
  defineTool(server, host, {
    name: 'run_command',
    title: 'Run an allow-listed command',
    description: `Runs one of the operator's allow-listed commands (no shell): ${allowList.map((c) => c.name).join(', ')}.`,
    scope: 'write',
    input: RunCommandInput,
    output: CommandResult,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async ({ command, args }, { signal }) => {
      const entry = authorizeCommand(allowList, command, args);
      const result = await runCommand(entry, args, signal);
      const status = result.signal ? `killed by ${result.signal}` : `exit ${result.exit_code}`;
      return { structured: result, text: `${command}: ${status} in ${result.duration_ms} ms` };
    },
  });
}
