import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { displayUrl } from '../domain/routing-table.ts';
import { ListModelsInput, ListModelsOutput } from '../../../schemas/llm/tools.ts';
import type { LlmDeps } from '../deps.ts';

export function registerListModels(server: McpServer, deps: LlmDeps, now: () => number): void {
  defineTool(server, deps, {
    name: 'list_models',
    title: 'List model deployments',
    description:
      'List the configured deployments with health (from background probes, or now with probe: true), cooldown, ' +
      'load, moving-average latency and time to first token, request/failure counts and token totals; plus groups and task routing.',
    scope: 'read',
    input: ListModelsInput,
    output: ListModelsOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    handler: async (input) => {
      const { router } = deps;
      if (input.probe) await deps.health.probe();
      const at = now();
      const deployments = [...router.table.deployments.values()].map((d) => {
        const s = router.state(d.id);
        return {
          id: d.id,
          backend: d.backend,
          url: displayUrl(d.url),
          model: d.model,
          kinds: d.kinds,
          groups: router.table.groupsOf(d.id),
          context_window: d.context_window ?? null,
          health: s.health,
          health_detail: s.healthDetail,
          checked_at: s.checkedAt,
          cooling_down_until: s.coolingDown(at) ? s.cooldownUntil : null,
          in_flight: s.inFlight,
          requests: s.requests,
          failures: s.failures,
          ttft_ms: s.ttftMs === null ? null : Math.round(s.ttftMs * 100) / 100,
          latency_ms: s.latencyMs === null ? null : Math.round(s.latencyMs * 100) / 100,
          prompt_tokens: s.promptTokens,
          completion_tokens: s.completionTokens,
          last_error: s.lastError,
        };
      });
      const groups = Object.fromEntries(
        [...router.table.groups].map(([name, g]) => [
          name,
          { deployments: g.ids, strategy: g.strategy, fallbacks: g.fallbacks },
        ]),
      );
      const tasks = Object.fromEntries(
        router.table.taskNames().map((task) => {
          const chain = router.table.resolve({ task }, task === 'embed' ? 'embed' : 'chat');
          return [task, chain[0]?.group ?? '(none)'];
        }),
      );
      const healthy = deployments.filter((d) => d.health === 'healthy').length;
      return {
        structured: { deployments, groups, tasks },
        text: `${deployments.length} deployment(s), ${healthy} healthy: ${deployments.map((d) => `${d.id}=${d.health}`).join(', ')}`,
      };
    },
  });
}
