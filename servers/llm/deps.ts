import type { Logger } from '../../lib/log.ts';
import type { ToolTaskSource } from '../../lib/mcp/tool-tasks.ts';
import type { HealthMonitor } from './domain/health.ts';
import type { OllamaManager } from './domain/ollama-manager.ts';
import type { LlmRouter } from './domain/router.ts';

/** What the llm server's tools share: one router (state, stats) per component, not per session. */
export interface LlmDeps {
  router: LlmRouter;
  health: HealthMonitor;
  manager: OllamaManager;
  log: Logger;
  /** Where pull_ollama_model runs as a task for clients that declare the Tasks extension. */
  tasks: ToolTaskSource;
}
