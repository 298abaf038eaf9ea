import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import type { SystemSettings } from '../../schemas/system/tools.ts';
import { registerGetDiskUsage } from './tools/get-disk-usage.ts';
import { registerGetSystemInfo } from './tools/get-system-info.ts';
import { registerListCommands } from './tools/list-commands.ts';
import { registerListProcesses } from './tools/list-processes.ts';
import { registerRunCommand } from './tools/run-command.ts';

export interface SystemDeps {
  settings: SystemSettings;
  log: Logger;
}

/** The local system server: read-only host facts, plus run_command only when commands are allow-listed. */
export function buildServer(deps: SystemDeps): McpServer {
  const server = new McpServer({ name: 'plexus-system', version: '0.1.0' });
  const host = { log: deps.log };
  registerGetSystemInfo(server, host);
  registerGetDiskUsage(server, host);
  registerListProcesses(server, host);
  registerListCommands(server, host, deps.settings.commands);
  if (deps.settings.commands.length > 0) registerRunCommand(server, host, deps.settings.commands);
  return server;
}
