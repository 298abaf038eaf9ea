import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { LoadOllamaModelOutput, UnloadOllamaModelInput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

export function registerUnloadOllamaModel(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'unload_ollama_model',
    title: 'Unload an Ollama model from memory',
    description: 'Free the memory a model holds on an Ollama host (keep_alive 0). The model stays installed.',
    scope: 'admin',
    input: UnloadOllamaModelInput,
    output: LoadOllamaModelOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal }) => {
      const host = deps.manager.host(input.host);
      const { done_reason } = await deps.manager.load(host, input.model, 0, signal);
      return {
        structured: { url: host.url, model: input.model, loaded: false, done_reason },
        text: `${input.model} unloaded on ${host.url}`,
      };
    },
  });
}
