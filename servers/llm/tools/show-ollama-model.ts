import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ShowOllamaModelInput, ShowOllamaModelOutput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

export function registerShowOllamaModel(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'show_ollama_model',
    title: 'Show an Ollama model',
    description:
      'Details of a model on an Ollama host: family, size, quantization, context length, capabilities, template.',
    scope: 'admin',
    input: ShowOllamaModelInput,
    output: ShowOllamaModelOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal }) => {
      const info = await deps.manager.show(deps.manager.host(input.host), input.model, signal);
      return {
        structured: info,
        text: `${info.model} on ${info.url}: ${info.family ?? '?'} ${info.parameter_size ?? ''} ${info.quantization ?? ''}, context ${info.context_length ?? '?'}`,
      };
    },
  });
}
