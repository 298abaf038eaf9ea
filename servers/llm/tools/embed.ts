import type { McpServer } from '@modelcontextprotocol/server';
import { LexicalEmbedder } from '../../../lib/embedding/lexical.ts';
import { PlexusError } from '../../../lib/errors.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { EmbedInput, EmbedOutput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

/** Router failures after which the lexical fallback (when configured) answers instead. */
const FALLBACK_CODES = new Set([
  'llm_unavailable',
  'llm_failed',
  'no_deployment',
  'cooling_down',
  'timeout',
  'rate_limited',
]);

export function registerEmbed(server: McpServer, deps: LlmDeps): void {
  const lexical = new LexicalEmbedder();
  defineTool(server, deps, {
    name: 'embed',
    title: 'Embed texts',
    description:
      'Turn texts into vectors with an embedding deployment (batched; all vectors of one call come from one model). ' +
      'When no embedding backend answers and the server is configured with embed_fallback=lexical, the built-in ' +
      'lexical embedder answers instead (fallback: true).',
    scope: 'read',
    input: EmbedInput,
    output: EmbedOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input, { signal }) => {
      try {
        const outcome = await deps.router.embed({
          texts: input.texts,
          model: input.model,
          timeout_ms: input.timeout_ms,
          signal: signal,
        });
        const dimension = outcome.vectors[0]?.length ?? 0;
        return {
          structured: {
            vectors: outcome.vectors,
            dimension,
            fallback: false,
            deployment: outcome.deployment,
            backend: outcome.backend,
            model: outcome.model,
            latency_ms: outcome.latency_ms,
            ttft_ms: outcome.ttft_ms,
            prompt_tokens: outcome.prompt_tokens,
            completion_tokens: null,
            attempts: outcome.attempts,
          },
          text: `${outcome.vectors.length} vector(s) of ${dimension} dimensions from ${outcome.deployment}`,
        };
      } catch (error) {
        if (
          deps.router.settings.embed_fallback !== 'lexical' ||
          input.model !== undefined ||
          !(error instanceof PlexusError && FALLBACK_CODES.has(error.code))
        )
          throw error;
        deps.log.warn({ err: error.message }, 'embedding backends failed; using the lexical embedder');
        const start = performance.now();
        const vectors = (await lexical.embed(input.texts)).map((v) => Array.from(v));
        const latency = Math.round((performance.now() - start) * 100) / 100;
        return {
          structured: {
            vectors,
            dimension: lexical.dimension,
            fallback: true,
            deployment: 'lexical',
            backend: 'builtin',
            model: lexical.id,
            latency_ms: latency,
            ttft_ms: null,
            prompt_tokens: null,
            completion_tokens: null,
            attempts: [{ deployment: 'lexical', ok: true, latency_ms: latency, message: error.message }],
          },
          text: `${vectors.length} lexical vector(s) (no embedding backend answered: ${error.message})`,
        };
      }
    },
  });
}
