import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { PullOllamaModelInput, PullOllamaModelOutput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';
import { progressReporter } from './progress.ts';

export function registerPullOllamaModel(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'pull_ollama_model',
    title: 'Pull a model onto an Ollama host',
    description:
      'Download a model onto an Ollama host. Sends download progress as progress notifications (bytes) when the ' +
      'request carries a progress token.',
    scope: 'admin',
    input: PullOllamaModelInput,
    output: PullOllamaModelOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal, mcp }) => {
      const host = deps.manager.host(input.host);
      const report = progressReporter(mcp);
      // Progress must only grow, across layers too: count steps, and bytes within each layer.
      let step = 0;
      const start = performance.now();
      const result = await deps.manager.pull(host, input.model, signal, (p) => {
        step++;
        if (!report) return;
        const detail = p.total ? ` ${p.completed ?? 0}/${p.total} bytes` : '';
        report(step, `${p.status}${detail}`);
      });
      const duration = Math.round(performance.now() - start);
      return {
        structured: {
          url: host.url,
          model: input.model,
          status: result.status,
          total_bytes: result.total_bytes,
          duration_ms: duration,
        },
        text: `pulled ${input.model} onto ${host.url}: ${result.status}`,
      };
    },
  });
}
