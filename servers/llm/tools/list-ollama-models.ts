import type { McpServer } from '@modelcontextprotocol/server';
import { PlexusError } from '../../../lib/errors.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ListOllamaModelsInput, ListOllamaModelsOutput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

export function registerListOllamaModels(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'list_ollama_models',
    title: 'List models on Ollama hosts',
    description:
      'Installed models on each Ollama host (or one, by deployment id or URL), and which are loaded in memory.',
    scope: 'admin',
    input: ListOllamaModelsInput,
    output: ListOllamaModelsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal }) => {
      const { manager } = deps;
      const hosts = input.host === undefined ? manager.hosts() : [manager.host(input.host)];
      const listed = await Promise.all(
        hosts.map(async (host) => {
          try {
            return { ...host, reachable: true, error: null, models: await manager.list(host, signal) };
          } catch (error) {
            if (!(error instanceof PlexusError)) throw error;
            return { ...host, reachable: false, error: error.message, models: [] };
          }
        }),
      );
      return {
        structured: { hosts: listed },
        text: listed
          .map((h) =>
            h.reachable
              ? `${h.url}: ${h.models.map((m) => m.name + (m.loaded ? ' (loaded)' : '')).join(', ') || 'no models'}`
              : `${h.url}: ${h.error}`,
          )
          .join('\n'),
      };
    },
  });
}
