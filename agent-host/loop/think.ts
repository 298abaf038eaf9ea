import type { Client, CallToolResult } from '@modelcontextprotocol/client';
import { PlexusError } from '../../lib/errors.ts';
import type { AgentTools } from '../brain.ts';
import { chat, type ChatMessage } from './llm.ts';
import { resultText, type FunctionTool } from './tools.ts';

/**
 * The reasoning loop: ask the model, run the tool calls it makes, hand the results back, until it answers
 * without tool calls — within a step budget (model calls) and a time budget (wall clock, enforced by aborting
 * whatever is in flight when it runs out).
 */
export interface Budget {
  maxSteps: number;
  /** Epoch ms. */
  deadline: number;
  now: () => number;
}

/** A function the loop implements itself (not an MCP tool), e.g. keeping a fact in memory. */
export interface Builtin {
  tool: FunctionTool;
  run(args: Record<string, unknown>): Promise<string>;
}

export interface ToolCallRecord {
  name: string;
  arguments: Record<string, unknown>;
  ok: boolean;
  text: string;
  structured?: unknown;
}

export interface ThinkOptions {
  hub: Client;
  tools: AgentTools;
  functions: FunctionTool[];
  builtins: ReadonlyMap<string, Builtin>;
  allowed: (name: string) => boolean;
  messages: ChatMessage[];
  routing: { task: string; model?: string | undefined; temperature?: number | undefined };
  budget: Budget;
  signal?: AbortSignal | undefined;
  /** Called for every tool call, in order (the brain records episodes from it). */
  onToolCall?: (call: ToolCallRecord) => Promise<void>;
}

export interface ThinkResult {
  text: string;
  steps: number;
  calls: ToolCallRecord[];
  model: string;
}

function budgetError(kind: 'time' | 'step', detail: string): PlexusError {
  return new PlexusError('limit', `${kind}_budget_exceeded`, `${kind} budget exceeded: ${detail}`);
}

/** Runs `fn` with a signal that aborts at the deadline; a deadline abort becomes time_budget_exceeded. */
export async function withinBudget<T>(
  budget: Budget,
  outer: AbortSignal | undefined,
  what: string,
  fn: (signal: AbortSignal, remainingMs: number) => Promise<T>,
): Promise<T> {
  const remaining = budget.deadline - budget.now();
  if (remaining <= 0) throw budgetError('time', `no time left before ${what}`);
  if (outer?.aborted) throw new PlexusError('conflict', 'canceled', 'canceled');
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), remaining);
  const signal = outer ? AbortSignal.any([timer.signal, outer]) : timer.signal;
  // The abort settles the race even when the callee ignores its signal.
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => {
      reject(
        timer.signal.aborted
          ? budgetError('time', `${what} was still running when the budget ran out`)
          : new PlexusError('conflict', 'canceled', 'canceled'),
      );
    });
  });
  try {
    return await Promise.race([fn(signal, remaining), aborted]);
  } finally {
    clearTimeout(timeout);
    aborted.catch(() => undefined);
  }
}

/** Runs one tool call (an allowed MCP tool or a builtin) and returns what happened; never throws for tool failures. */
export async function runToolCall(
  options: Pick<ThinkOptions, 'tools' | 'builtins' | 'allowed' | 'budget' | 'signal'>,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolCallRecord> {
  const builtin = options.builtins.get(name);
  if (!builtin && !options.allowed(name))
    return { name, arguments: args, ok: false, text: `tool '${name}' is not allowed for this agent's role` };
  try {
    if (builtin) {
      const text = await withinBudget(options.budget, options.signal, name, () => builtin.run(args));
      return { name, arguments: args, ok: true, text };
    }
    const result: CallToolResult = await withinBudget(options.budget, options.signal, name, (signal) =>
      options.tools.call(name, args, signal),
    );
    return {
      name,
      arguments: args,
      ok: !result.isError,
      text: resultText(result),
      ...(result.structuredContent ? { structured: result.structuredContent } : {}),
    };
  } catch (error) {
    if (error instanceof PlexusError && (error.code === 'time_budget_exceeded' || error.code === 'canceled'))
      throw error;
    return { name, arguments: args, ok: false, text: `tool '${name}' failed: ${(error as Error).message}` };
  }
}

export async function think(options: ThinkOptions): Promise<ThinkResult> {
  const { budget } = options;
  const messages = [...options.messages];
  const functions = [...[...options.builtins.values()].map((b) => b.tool), ...options.functions];
  const calls: ToolCallRecord[] = [];
  for (let step = 1; ; step++) {
    if (step > budget.maxSteps)
      throw budgetError('step', `the model still wanted tools after ${budget.maxSteps} steps`);
    const answer = await withinBudget(budget, options.signal, 'the model', (signal, remaining) =>
      chat(
        options.hub,
        {
          messages,
          task: options.routing.task,
          ...(options.routing.model ? { model: options.routing.model } : {}),
          ...(options.routing.temperature !== undefined ? { temperature: options.routing.temperature } : {}),
          ...(functions.length ? { tools: functions } : {}),
          timeout_ms: Math.max(1, Math.ceil(remaining)),
        },
        signal,
      ),
    );
    if (answer.tool_calls.length === 0)
      return { text: answer.content, steps: step, calls, model: answer.model };
    messages.push({ role: 'assistant', content: answer.content, tool_calls: answer.tool_calls });
    for (const call of answer.tool_calls) {
      const record = await runToolCall(options, call.name, call.arguments);
      calls.push(record);
      await options.onToolCall?.(record);
      messages.push({
        role: 'tool',
        content: record.ok ? record.text : `ERROR: ${record.text}`,
        tool_call_id: call.id,
        name: call.name,
      });
    }
  }
}
