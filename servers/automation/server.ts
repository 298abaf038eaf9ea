import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import { serveToolTasks, type ToolTaskSource } from '../../lib/mcp/tool-tasks.ts';
import type { Automation } from './domain/automation.ts';
import { registerRunTools } from './tools/run-tools.ts';
import { registerWorkflowTools } from './tools/workflow-tools.ts';

export interface AutomationServerDeps {
  automation: Automation;
  log: Logger;
  /** Where run_workflow runs as a task for clients that declare the Tasks extension. */
  tasks: ToolTaskSource;
}

export function buildServer(deps: AutomationServerDeps): McpServer {
  const server = new McpServer({ name: 'plexus-automation', version: '0.1.0' });
  const host = { log: deps.log };
  registerWorkflowTools(server, host, deps.automation);
  registerRunTools(server, host, deps.automation);
  return serveToolTasks(server, deps.tasks);
}
