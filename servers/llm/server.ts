import { McpServer } from '@modelcontextprotocol/server';
import { serveToolTasks } from '../../lib/mcp/tool-tasks.ts';
import type { LlmDeps } from './deps.ts';
import { registerChat } from './tools/chat.ts';
import { registerEmbed } from './tools/embed.ts';
import { registerListModels } from './tools/list-models.ts';
import { registerListOllamaModels } from './tools/list-ollama-models.ts';
import { registerPlan } from './tools/plan.ts';
import { registerPreloadOllamaModel } from './tools/preload-ollama-model.ts';
import { registerPullOllamaModel } from './tools/pull-ollama-model.ts';
import { registerShowOllamaModel } from './tools/show-ollama-model.ts';
import { registerUnloadOllamaModel } from './tools/unload-ollama-model.ts';

export type { LlmDeps } from './deps.ts';

/** One MCP session's server over the shared router (deployment state and stats live in `deps.router`). */
export function buildServer(deps: LlmDeps & { now: () => number }): McpServer {
  const server = new McpServer({ name: 'plexus-llm', version: '0.1.0' }, { capabilities: { tools: {} } });
  registerChat(server, deps);
  registerEmbed(server, deps);
  registerListModels(server, deps, deps.now);
  registerPlan(server, deps);
  registerListOllamaModels(server, deps);
  registerShowOllamaModel(server, deps);
  registerPullOllamaModel(server, deps);
  registerPreloadOllamaModel(server, deps);
  registerUnloadOllamaModel(server, deps);
  return serveToolTasks(server, deps.tasks);
}
