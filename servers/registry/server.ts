import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import { serveToolTasks, type ToolTaskSource } from '../../lib/mcp/tool-tasks.ts';
import type { AgentService } from './domain/agents.ts';
import type { TaskDispatcher } from './domain/dispatcher.ts';
import type { RegistrySettings } from './domain/settings.ts';
import type { ToolService } from './domain/tools.ts';
import { registerCancelTask } from './tools/cancel-task.ts';
import { registerDeregisterAgent } from './tools/deregister-agent.ts';
import { registerDispatchTask } from './tools/dispatch-task.ts';
import { registerFindAgents } from './tools/find-agents.ts';
import { registerFindTools } from './tools/find-tools.ts';
import { registerGetAgent } from './tools/get-agent.ts';
import { registerGetRegistryInfo } from './tools/get-registry-info.ts';
import { registerGetTask } from './tools/get-task.ts';
import { registerGetTaskStats } from './tools/get-task-stats.ts';
import { registerGetTool } from './tools/get-tool.ts';
import { registerGetToolPackage } from './tools/get-tool-package.ts';
import { registerHeartbeat } from './tools/heartbeat.ts';
import { registerListTasks } from './tools/list-tasks.ts';
import { registerPublishTool } from './tools/publish-tool.ts';
import { registerRegisterAgent } from './tools/register-agent.ts';
import { registerUpdateTask } from './tools/update-task.ts';
import { registerWithdrawTool } from './tools/withdraw-tool.ts';

/** What the registry's tools work on: the shared domain services of one running component. */
export interface RegistryDeps {
  agents: AgentService;
  tools: ToolService;
  dispatcher: TaskDispatcher;
  settings: RegistrySettings;
  log: Logger;
  /** dispatch_task followed as an MCP task, for clients that declare the Tasks extension. */
  tasks: ToolTaskSource;
}

const TOOLS = [
  registerRegisterAgent,
  registerHeartbeat,
  registerFindAgents,
  registerGetAgent,
  registerDeregisterAgent,
  registerPublishTool,
  registerFindTools,
  registerGetTool,
  registerGetToolPackage,
  registerWithdrawTool,
  registerDispatchTask,
  registerUpdateTask,
  registerGetTask,
  registerListTasks,
  registerCancelTask,
  registerGetRegistryInfo,
  registerGetTaskStats,
];

/** One MCP server (per session) over the registry's shared services. No side effects beyond that. */
export function buildServer(deps: RegistryDeps): McpServer {
  const server = new McpServer(
    { name: 'plexus-registry', version: '0.1.0' },
    {
      instructions:
        'Agent and tool registry and task dispatcher. Agents register a signed Agent Card, heartbeat, ' +
        'and receive tasks as task/assign envelopes in their router inbox; find_agents and find_tools search.',
    },
  );
  for (const register of TOOLS) register(server, deps);
  return serveToolTasks(server, deps.tasks);
}
