import { z } from 'zod';

const JsonObject = z.record(z.string(), z.unknown());
const Priority = z.number().min(0).max(1);

export const ToolCall = z.object({
  id: z.string().max(200),
  name: z.string().min(1).max(200),
  arguments: JsonObject,
});

export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().max(1_000_000),
  /** Base64 images for multimodal models. */
  images: z.array(z.string().max(20_000_000)).max(16).optional(),
  tool_calls: z.array(ToolCall).max(64).optional(),
  /** On `tool` messages: the call answered, and the tool's name. */
  tool_call_id: z.string().max(200).optional(),
  name: z.string().max(200).optional(),
});

/** MCP sampling's modelPreferences, so the hub can route `sampling/createMessage` through `chat`. */
export const ModelPreferences = z.object({
  hints: z
    .array(z.object({ name: z.string().max(200).optional() }))
    .max(16)
    .optional(),
  costPriority: Priority.optional(),
  speedPriority: Priority.optional(),
  intelligencePriority: Priority.optional(),
});

const Routing = {
  task: z
    .string()
    .max(40)
    .optional()
    .describe('Task type: chat, code, reasoning, summarize, plan, or a configured one'),
  model: z
    .string()
    .max(200)
    .optional()
    .describe('A model group, a deployment id, or a model name (overrides task)'),
  timeout_ms: z.int().positive().max(3_600_000).optional().describe('Per-attempt timeout'),
};

export const FunctionTool = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
  description: z.string().max(4000).optional(),
  input_schema: JsonObject.optional().describe('JSON Schema of the arguments (default: any object)'),
});

export const ChatInput = z.object({
  messages: z.array(ChatMessage).min(1).max(1000),
  ...Routing,
  tools: z.array(FunctionTool).max(128).optional().describe('Functions the model may call'),
  response_format: z
    .object({ schema: JsonObject.describe('JSON Schema the answer must follow') })
    .optional()
    .describe('Structured output: the answer is JSON validated against the schema'),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.int().positive().max(1_000_000).optional(),
  stop: z.array(z.string().min(1).max(100)).max(16).optional(),
  model_preferences: ModelPreferences.optional(),
});
export type ChatInput = z.infer<typeof ChatInput>;

export const AttemptRecord = z.object({
  deployment: z.string(),
  ok: z.boolean(),
  failure: z.string().optional(),
  message: z.string().optional(),
  latency_ms: z.number(),
});

/** Which deployment answered, how fast and how many tokens: part of every result. */
const Answered = {
  deployment: z.string(),
  backend: z.string(),
  model: z.string(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  prompt_tokens: z.int().nullable(),
  completion_tokens: z.int().nullable(),
  attempts: z.array(AttemptRecord),
};

export const ChatOutput = z.object({
  content: z.string(),
  tool_calls: z.array(ToolCall),
  /** The parsed, schema-valid answer when `response_format` was given. */
  structured: z.unknown().optional(),
  finish_reason: z.string(),
  ...Answered,
});
export type ChatOutput = z.infer<typeof ChatOutput>;

export const EmbedInput = z.object({
  texts: z.array(z.string().max(200_000)).min(1).max(2048),
  model: z.string().max(200).optional().describe('An embed group, deployment id or model name'),
  timeout_ms: Routing.timeout_ms,
});

export const EmbedOutput = z.object({
  vectors: z.array(z.array(z.number())),
  dimension: z.int(),
  /** True when no embed deployment answered and the built-in lexical embedder was used (when configured). */
  fallback: z.boolean(),
  ...Answered,
});

export const ListModelsInput = z.object({
  probe: z.boolean().optional().describe('Run the health checks now instead of reporting the last ones'),
});

export const DeploymentStatus = z.object({
  id: z.string(),
  backend: z.string(),
  url: z.string(),
  model: z.string(),
  kinds: z.array(z.string()),
  groups: z.array(z.string()),
  context_window: z.int().nullable(),
  health: z.string(),
  health_detail: z.string().nullable(),
  checked_at: z.int().nullable(),
  cooling_down_until: z.int().nullable(),
  in_flight: z.int(),
  requests: z.int(),
  failures: z.int(),
  ttft_ms: z.number().nullable(),
  latency_ms: z.number().nullable(),
  prompt_tokens: z.int(),
  completion_tokens: z.int(),
  last_error: z.object({ failure: z.string(), message: z.string(), at: z.int() }).nullable(),
});

export const ListModelsOutput = z.object({
  deployments: z.array(DeploymentStatus),
  groups: z.record(
    z.string(),
    z.object({ deployments: z.array(z.string()), strategy: z.string(), fallbacks: z.array(z.string()) }),
  ),
  tasks: z.record(z.string(), z.string()),
});

export const PlanInput = z.object({
  goal: z.string().min(1).max(20_000),
  tools: z.array(FunctionTool).min(1).max(128).describe('The tools the plan may call'),
  context: z.string().max(100_000).optional(),
  max_steps: z.int().min(1).max(50).default(12),
  ...Routing,
  temperature: z.number().min(0).max(2).optional(),
});

export const PlanStep = z.object({
  id: z.string(),
  tool: z.string(),
  arguments: JsonObject,
  description: z.string(),
  depends_on: z.array(z.string()),
});

export const PlanOutput = z.object({
  steps: z.array(PlanStep),
  rationale: z.string().optional(),
  /** Invalid plans the model produced before the accepted one, with what was wrong. */
  rejected: z.array(z.string()),
  ...Answered,
});

// Ollama manager (admin).

const Host = z
  .string()
  .max(200)
  .optional()
  .describe('An Ollama deployment id or URL (default: the only Ollama host)');
const ModelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:/-]+$/, 'must be an Ollama model name like llama3.2:3b');

export const ListOllamaModelsInput = z.object({ host: Host });
export const OllamaModel = z.object({
  name: z.string(),
  size: z.number(),
  digest: z.string(),
  family: z.string().nullable(),
  parameter_size: z.string().nullable(),
  quantization: z.string().nullable(),
  loaded: z.boolean(),
  expires_at: z.string().nullable(),
});
export const ListOllamaModelsOutput = z.object({
  hosts: z.array(
    z.object({
      url: z.string(),
      deployments: z.array(z.string()),
      reachable: z.boolean(),
      error: z.string().nullable(),
      models: z.array(OllamaModel),
    }),
  ),
});

export const ShowOllamaModelInput = z.object({ model: ModelName, host: Host });
export const ShowOllamaModelOutput = z.object({
  url: z.string(),
  model: z.string(),
  family: z.string().nullable(),
  parameter_size: z.string().nullable(),
  quantization: z.string().nullable(),
  context_length: z.int().nullable(),
  capabilities: z.array(z.string()),
  parameters: z.string(),
  template: z.string(),
});

export const PullOllamaModelInput = z.object({ model: ModelName, host: Host });
export const PullOllamaModelOutput = z.object({
  url: z.string(),
  model: z.string(),
  status: z.string(),
  total_bytes: z.number().nullable(),
  duration_ms: z.number(),
});

export const PreloadOllamaModelInput = z.object({
  model: ModelName,
  host: Host,
  keep_alive: z
    .union([
      z.string().regex(/^-?\d+(\.\d+)?(ms|s|m|h)?$/, 'must be a duration like 10m, 1h, -1'),
      z.number(),
    ])
    .optional()
    .describe('How long to keep it loaded (Ollama keep_alive; -1 = forever; default 5m)'),
});
export const UnloadOllamaModelInput = z.object({ model: ModelName, host: Host });
export const LoadOllamaModelOutput = z.object({
  url: z.string(),
  model: z.string(),
  loaded: z.boolean(),
  done_reason: z.string(),
});
