import type { Logger } from '../../../lib/log.ts';
import { sameOllamaModel } from './backend-ollama.ts';
import { classifyThrown } from './errors.ts';
import type { LlmRouter } from './router.ts';

/**
 * Probes every backend (`/api/tags` for Ollama, `/v1/models` for OpenAI-compatible servers) and records per
 * deployment whether its server answers and offers its model. Deployments sharing a server share a probe.
 */
export class HealthMonitor {
  readonly #router: LlmRouter;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(router: LlmRouter, log: Logger, now: () => number) {
    this.#router = router;
    this.#log = log;
    this.#now = now;
  }

  /** Starts background probes every `interval_ms` (0 = never); the first runs at once. */
  start(): void {
    const { interval_ms } = this.#router.settings.health;
    if (interval_ms === 0 || this.#timer) return;
    void this.probe();
    this.#timer = setInterval(() => void this.probe(), interval_ms);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Probes now (joining a probe already running). */
  probe(): Promise<void> {
    this.#running ??= this.#probeAll().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #probeAll(): Promise<void> {
    const byServer = new Map<string, string[]>();
    for (const d of this.#router.table.deployments.values()) {
      const key = `${d.backend} ${d.url} ${d.api_key ?? ''}`;
      byServer.set(key, [...(byServer.get(key) ?? []), d.id]);
    }
    await Promise.all(
      [...byServer.values()].map(async (ids) => {
        const first = ids[0] as string;
        const backend = this.#router.backends.get(first);
        if (!backend) return;
        let models: string[] | undefined;
        let problem: { health: 'unreachable' | 'error'; detail: string } | undefined;
        try {
          models = await backend.listModels(AbortSignal.timeout(this.#router.settings.health.timeout_ms));
        } catch (error) {
          const failure =
            error instanceof Error && error.name === 'TimeoutError'
              ? 'timeout'
              : classifyThrown(error).failure;
          const detail = error instanceof Error ? error.message : String(error);
          problem = {
            health: failure === 'unreachable' || failure === 'timeout' ? 'unreachable' : 'error',
            detail,
          };
        }
        const at = this.#now();
        for (const id of ids) {
          const d = this.#router.table.deployments.get(id);
          const state = this.#router.state(id);
          state.checkedAt = at;
          if (problem || !models || !d) {
            state.health = problem?.health ?? 'error';
            state.healthDetail = problem?.detail ?? null;
          } else if (
            models.some((m) => (d.backend === 'ollama' ? sameOllamaModel(m, d.model) : m === d.model))
          ) {
            state.health = 'healthy';
            state.healthDetail = null;
          } else {
            state.health = 'model_missing';
            state.healthDetail = `${d.url} does not offer '${d.model}'`;
          }
        }
        if (problem) this.#log.debug({ deployments: ids, problem }, 'llm health probe failed');
      }),
    );
  }
}
