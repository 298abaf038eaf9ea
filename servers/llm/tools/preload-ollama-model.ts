import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { LoadOllamaModelOutput, PreloadOllamaModelInput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

export function registerPreloadOllamaModel(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'preload_ollama_model',
    title: 'Load an Ollama model into memory',
    description:
      'Load a model into memory on an Ollama host and keep it there for keep_alive (default 5m; -1 = until unloaded).',
    scope: 'admin',
    input: PreloadOllamaModelInput,
    output: LoadOllamaModelOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal }) => {
      const host = deps.manager.host(input.host);
      const keepAlive = input.keep_alive ?? '5m';
      const { done_reason } = await deps.manager.load(host, input.model, keepAlive, signal);
      return {
        structured: { url: host.url, model: input.model, loaded: true, done_reason },
        text: `${input.model} loaded on ${host.url} (keep_alive ${keepAlive})`,
      };
    },
  });
}
