import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PlexusError } from '../../lib/errors.ts';
import { formatZodError } from '../../schemas/common.ts';

/**
 * `<dir>/loop.json` (optional): budgets, memory and sync cadence of the agent loop, and role definitions.
 * A role is a system prompt plus an allow-list of tool-name patterns (`*` matches any run of characters);
 * the agent's card role picks one (unknown roles fall back to `assistant`).
 */
const ToolPattern = z.string().regex(/^[A-Za-z0-9_.*-]{1,80}$/, 'letters, digits, _ . - and * only');
const RoleName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or - (≤ 64)');

export const RoleDefinition = z.strictObject({
  prompt: z.string().min(1).max(8000),
  tools: z.array(ToolPattern).max(256),
});
export type RoleDefinition = z.infer<typeof RoleDefinition>;

export const LoopSettings = z.strictObject({
  /** LLM calls per message or task (each may request several tool calls). */
  maxSteps: z.int().min(1).max(100).default(8),
  /** Wall-clock budget per message or task; a task's own deadline can shorten it. */
  timeBudgetMs: z.int().min(100).max(3_600_000).default(120_000),
  /** Earlier turns of the same thread put in the prompt. */
  shortTermWindow: z.int().min(0).max(200).default(12),
  /** Memories recalled into the prompt. */
  recallK: z.int().min(0).max(50).default(4),
  /** Federation memory sync cadence; 0 = never. */
  syncIntervalMs: z.int().min(0).max(86_400_000).default(60_000),
  /**
   * Push private memory (conversation episodes, private notes) to the federation too. Off by default: there
   * it is plaintext on the hub, where end-to-end encrypted chat leaves only ciphertext.
   */
  syncPrivate: z.boolean().default(false),
  /** Replies the loop sends in one thread before it stops answering automatically (agent ping-pong guard). */
  maxRepliesPerThread: z.int().min(1).max(10_000).default(20),
  /**
   * Answers per thread to other agents' automated replies (each must ask something): two model-driven
   * agents stop after this many rounds even when every reply is a question.
   */
  maxAutomatedRepliesPerThread: z.int().min(0).max(10_000).default(3),
  /** LLM routing: a task type and/or a model (see the llm server). */
  task: z.string().min(1).max(40).default('chat'),
  model: z.string().min(1).max(200).optional(),
  temperature: z.number().min(0).max(2).optional(),
  roles: z.record(RoleName, RoleDefinition).default({}),
});
export type LoopSettings = z.infer<typeof LoopSettings>;

const READ_TOOLS = [
  'filesystem__read_*',
  'filesystem__list_*',
  'filesystem__search_files',
  'filesystem__get_file_info',
  'filesystem__directory_tree',
  'system__*',
  'web__*',
  'hub__memory__recall',
  'hub__memory__search_nodes',
  'hub__memory__open_nodes',
  'hub__memory__query_episodes',
  'hub__registry__find_*',
  'hub__registry__get_*',
];

export const BUILTIN_ROLES: Record<string, RoleDefinition> = {
  assistant: {
    prompt:
      'You are a helpful agent in the Plexus network. Answer directly and briefly. Use tools when they help; ' +
      'never invent tool results.',
    tools: ['*'],
  },
  researcher: {
    prompt:
      'You are a research agent in the Plexus network. Gather facts with read-only tools, cite where each fact ' +
      'came from, and keep what is worth remembering.',
    tools: READ_TOOLS,
  },
  worker: {
    prompt:
      'You are a worker agent in the Plexus network. Carry out the task you are given with your tools, step by ' +
      'step, and report the result precisely.',
    tools: [
      ...READ_TOOLS,
      'filesystem__*',
      'sandbox__*',
      'automation__*',
      'hub__memory__*',
      'hub__registry__*',
    ],
  },
};

/**
 * Never offered to the model nor run from a task: the loop's own plumbing (LLM, mail, federation sync,
 * identity administration, the runtime's task bookkeeping).
 */
export const ALWAYS_DENIED = [
  'hub__llm__*',
  'hub__router__*',
  'hub__identity__*',
  'hub__memory__sync_*',
  'hub__registry__register_agent',
  'hub__registry__deregister_agent',
  'hub__registry__heartbeat',
  'hub__registry__update_task',
];

export function loadLoopSettings(dir: string): LoopSettings {
  const file = path.join(dir, 'loop.json');
  let raw: unknown = {};
  if (fs.existsSync(file)) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new PlexusError('invalid', 'config_invalid', `${file}: ${(error as Error).message}`);
    }
  }
  const result = LoopSettings.safeParse(raw);
  if (!result.success)
    throw new PlexusError('invalid', 'config_invalid', `${file}: ${formatZodError(result.error)}`);
  return result.data;
}

export function roleFor(settings: LoopSettings, role: string): RoleDefinition & { name: string } {
  const own = settings.roles[role] ?? BUILTIN_ROLES[role];
  if (own) return { name: role, ...own };
  const fallback = settings.roles['assistant'] ?? BUILTIN_ROLES['assistant'];
  if (!fallback) throw new Error('the assistant role is missing');
  return { name: 'assistant', ...fallback };
}

function patternRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`);
}

/** Whether a role may use a tool: on its allow-list and not denied to every role. */
export function toolPolicy(role: RoleDefinition): (name: string) => boolean {
  const allowed = role.tools.map(patternRegex);
  const denied = ALWAYS_DENIED.map(patternRegex);
  return (name) => allowed.some((r) => r.test(name)) && !denied.some((r) => r.test(name));
}
