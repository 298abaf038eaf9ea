import { parseArgs } from 'node:util';
import type { Logger } from '../../lib/log.ts';
import { BackgroundTasks } from '../../lib/mcp/background-tasks.ts';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { DEFAULT_OLLAMA_HOST, LlmSettings, type LlmSettingsInput } from '../../schemas/llm/settings.ts';
import { HealthMonitor } from './domain/health.ts';
import { OllamaManager } from './domain/ollama-manager.ts';
import { LlmRouter, type RouterOptions } from './domain/router.ts';
import { buildServer } from './server.ts';

/**
 * OLLAMA_HOST as Ollama's own tools read it (`host`, `host:port`, `:port` or a URL) turned into a base URL.
 * For the composition root only: the component itself reads `ollama_host` from its settings.
 */
export function ollamaHostFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const raw = env['OLLAMA_HOST']?.trim();
  if (!raw) return DEFAULT_OLLAMA_HOST;
  const withScheme = raw.includes('://') ? raw : `http://${raw.startsWith(':') ? `127.0.0.1${raw}` : raw}`;
  const url = new URL(withScheme);
  if (!url.port && !raw.includes('://')) url.port = '11434';
  // Ollama listens on 0.0.0.0 when told to; a client reaches it on loopback.
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  return url.toString().replace(/\/+$/, '');
}

/** The composition root's defaults for the llm settings section: the Ollama host from the environment. */
export function llmSettingsWithEnv(
  settings: unknown,
  env: Readonly<Record<string, string | undefined>>,
): LlmSettingsInput {
  const section = (settings ?? {}) as LlmSettingsInput;
  return { ...section, ollama_host: section.ollama_host ?? ollamaHostFromEnv(env) };
}

/** Parses the llm settings section; the error names every bad field. */
export function parseLlmSettings(settings: unknown): LlmSettings {
  const parsed = LlmSettings.safeParse(settings ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `${['llm', ...i.path.map(String)].join('.')}: ${i.message}`,
    );
    throw new Error(`invalid llm settings: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/**
 * `plexus serve llm [--ollama-host URL] [--chat-model M] [--embed-model M] [--embed-fallback lexical]`.
 * Anything richer (OpenAI-compatible deployments, groups, tasks) goes in the config file's llm section.
 */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({
    args: argv,
    options: {
      'ollama-host': { type: 'string' },
      'chat-model': { type: 'string' },
      'embed-model': { type: 'string' },
      'embed-fallback': { type: 'string' },
    },
  });
  const models = {
    ...(values['chat-model'] ? { chat: values['chat-model'] } : {}),
    ...(values['embed-model'] ? { embed: values['embed-model'] } : {}),
  };
  return {
    ...(values['ollama-host']
      ? { ollama_host: ollamaHostFromEnv({ OLLAMA_HOST: values['ollama-host'] }) }
      : {}),
    ...(Object.keys(models).length ? { default_models: models } : {}),
    ...(values['embed-fallback'] ? { embed_fallback: values['embed-fallback'] } : {}),
  };
}

/** pull_ollama_model calls that run in the background as MCP tasks, shared by every server instance. */
export function pullTasks(settings: LlmSettings, ctx: { now: () => number; log: Logger }): BackgroundTasks {
  return new BackgroundTasks(['pull_ollama_model'], settings.mcp_tasks, ctx);
}

/** The LLM router as a component: one router (deployment state, stats, health) shared by every session. */
export const component: ComponentFactory = async (ctx) => createLlmComponent(ctx);

export async function createLlmComponent(
  ctx: Parameters<ComponentFactory>[0],
  overrides: Pick<RouterOptions, 'sleep' | 'backendFor' | 'random'> = {},
): ReturnType<ComponentFactory> {
  const settings = parseLlmSettings(ctx.settings);
  const router = new LlmRouter({ settings, log: ctx.log, now: ctx.now, ...overrides });
  const health = new HealthMonitor(router, ctx.log, ctx.now);
  const manager = new OllamaManager(router.table);
  const tasks = pullTasks(settings, ctx);
  health.start();
  return {
    createServer: () => buildServer({ router, health, manager, tasks, log: ctx.log, now: ctx.now }),
    close: async () => {
      tasks.close();
      await health.stop();
    },
  };
}
