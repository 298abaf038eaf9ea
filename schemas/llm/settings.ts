import { z } from 'zod';
import { McpTaskSettings } from '../mcp-task.ts';

/** The built-in task types; config may add its own (any name matching TASK_NAME_PATTERN). */
export const BUILTIN_TASKS = ['chat', 'code', 'reasoning', 'summarize', 'plan', 'embed'] as const;
export const TASK_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;
export const STRATEGIES = ['priority', 'least-busy', 'lowest-latency'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

const Name = z
  .string()
  .regex(TASK_NAME_PATTERN, 'must be lower-case letters, digits, _ or -, starting with a letter (≤ 40)');
const Score = z.number().min(0).max(1);

/** One model served by one backend: the unit the router picks, retries, cools down and measures. */
export const Deployment = z.object({
  id: Name,
  backend: z.enum(['ollama', 'openai']),
  /** Base URL; Ollama deployments default to `ollama_host`. OpenAI-compatible ones need it (…/v1 optional). */
  url: z.url().optional(),
  model: z.string().min(1).max(200),
  /** Bearer key for OpenAI-compatible servers. */
  api_key: z.string().min(1).optional(),
  /** What the deployment can do: chat (default) and/or embed. */
  kinds: z
    .array(z.enum(['chat', 'embed']))
    .min(1)
    .default(['chat']),
  /** Context window in tokens: context-overflow errors fall back to a deployment with a larger one. */
  context_window: z.int().positive().optional(),
  /** Requests in flight at once on this deployment; further ones wait for a slot. */
  max_concurrency: z.int().positive().max(1024).default(8),
  /** Per-attempt timeout (ms); a request's own `timeout_ms` can shorten it. */
  timeout_ms: z.int().positive().max(3_600_000).optional(),
  /** Hints for MCP sampling `modelPreferences` (0..1, higher = more of it; cost: higher = more expensive). */
  cost: Score.default(0),
  speed: Score.default(0.5),
  intelligence: Score.default(0.5),
  /** Extra names sampling `hints` match against (the model name and id always match). */
  aliases: z.array(z.string().min(1).max(200)).max(32).default([]),
});
export type Deployment = z.infer<typeof Deployment>;

/** An ordered set of deployments with a strategy, and the groups to fall back to when all of them fail. */
export const ModelGroup = z.object({
  deployments: z.array(Name).min(1),
  strategy: z.enum(STRATEGIES).optional(),
  fallbacks: z.array(Name).default([]),
});
export type ModelGroup = z.infer<typeof ModelGroup>;

export const RetrySettings = z.object({
  /** Extra rounds over the candidate list after every candidate failed with a retryable error. */
  max_retries: z.int().min(0).max(10).default(2),
  base_delay_ms: z.int().min(0).max(60_000).default(250),
  max_delay_ms: z.int().min(0).max(600_000).default(10_000),
});

/** LiteLLM's defaults: 3 failures, or ≥ 50% failed (of ≥ 5 requests), within a minute → 5 s cooldown. */
export const CooldownSettings = z.object({
  allowed_failures: z.int().min(1).max(1000).default(3),
  failure_rate: z.number().gt(0).max(1).default(0.5),
  min_requests: z.int().min(1).max(1000).default(5),
  window_ms: z.int().positive().max(3_600_000).default(60_000),
  cooldown_ms: z.int().min(0).max(3_600_000).default(5_000),
});

export const HealthSettings = z.object({
  /** Background probe interval (ms); 0 disables background checks (probes then run only on demand). */
  interval_ms: z.int().min(0).max(3_600_000).default(30_000),
  timeout_ms: z.int().positive().max(60_000).default(3_000),
});

export const LlmSettings = z
  .object({
    /** Where Ollama deployments without a `url` live. The composition root fills it from OLLAMA_HOST. */
    ollama_host: z.string().min(1).default(DEFAULT_OLLAMA_HOST),
    /** Models of the two default Ollama deployments used when `deployments` is not given. */
    default_models: z
      .object({
        chat: z.string().min(1).max(200).default('llama3.2'),
        embed: z.string().min(1).max(200).default('nomic-embed-text'),
      })
      .prefault({}),
    deployments: z.array(Deployment).max(256).optional(),
    groups: z.record(Name, ModelGroup).optional(),
    /** Task type → model group. Built-in tasks without an entry use `default_group`. */
    tasks: z.record(Name, Name).default({}),
    /** The group for tasks without a mapping (default: `chat`, or the first group). */
    default_group: Name.optional(),
    strategy: z.enum(STRATEGIES).default('priority'),
    timeout_ms: z.int().positive().max(3_600_000).default(120_000),
    retries: RetrySettings.prefault({}),
    cooldown: CooldownSettings.prefault({}),
    health: HealthSettings.prefault({}),
    /** Moving-average weight of the newest time-to-first-token sample (exponential, 0..1]. */
    latency_alpha: z.number().gt(0).max(1).default(0.3),
    /** When no embed deployment answers: fail (`none`) or use the built-in lexical embedder (`lexical`). */
    embed_fallback: z.enum(['none', 'lexical']).default('none'),
    /** Attempts at a valid structured answer (chat with `response_format`, plan) before reporting failure. */
    structured_attempts: z.int().min(1).max(5).default(2),
    /** pull_ollama_model run as MCP tasks (for clients that declare the Tasks extension). */
    mcp_tasks: McpTaskSettings.prefault({}),
  })
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    for (const [i, d] of (s.deployments ?? []).entries()) {
      if (ids.has(d.id))
        ctx.addIssue({ code: 'custom', path: ['deployments', i, 'id'], message: `duplicate id '${d.id}'` });
      ids.add(d.id);
      if (d.backend === 'openai' && !d.url)
        ctx.addIssue({
          code: 'custom',
          path: ['deployments', i, 'url'],
          message: 'OpenAI-compatible deployments need a url',
        });
    }
    const groups = s.groups ?? {};
    for (const [name, g] of Object.entries(groups)) {
      for (const [i, id] of g.deployments.entries())
        if (s.deployments && !ids.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['groups', name, 'deployments', i],
            message: `unknown deployment '${id}'`,
          });
      for (const [i, f] of g.fallbacks.entries())
        if (!(f in groups))
          ctx.addIssue({
            code: 'custom',
            path: ['groups', name, 'fallbacks', i],
            message: `unknown group '${f}'`,
          });
    }
    for (const [task, group] of Object.entries(s.tasks))
      if (s.groups && !(group in groups))
        ctx.addIssue({ code: 'custom', path: ['tasks', task], message: `unknown group '${group}'` });
    if (s.default_group && s.groups && !(s.default_group in groups))
      ctx.addIssue({
        code: 'custom',
        path: ['default_group'],
        message: `unknown group '${s.default_group}'`,
      });
  });
export type LlmSettingsInput = z.input<typeof LlmSettings>;
export type LlmSettings = z.infer<typeof LlmSettings>;
