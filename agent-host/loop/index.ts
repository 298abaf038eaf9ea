import type { Client } from '@modelcontextprotocol/client';
import { PlexusError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { JsonValue } from '../../schemas/common.ts';
import type { Scope } from '../../schemas/memory.ts';
import type { RecordSigner } from '../../servers/memory/domain/records.ts';
import type { AgentContext, AssignedTask, Brain, IncomingMessage, TaskOutcome } from '../brain.ts';
import type { AgentPaths } from '../config.ts';
import { explicitCalls } from './explicit.ts';
import { isAutomated, NO_LLM_PREFIX, replyDecision } from './reply-policy.ts';
import type { ChatMessage } from './llm.ts';
import { LoopMemory } from './memory.ts';
import { loadLoopSettings, roleFor, toolPolicy, type LoopSettings } from './settings.ts';
import { runToolCall, think, type Budget, type Builtin, type ToolCallRecord } from './think.ts';
import { toFunctionTools } from './tools.ts';

/**
 * The agent loop behind `plexus agent start`: messages and tasks go through context building (the thread's
 * recent turns, recalled memories, the role's prompt), the LLM router with the role's tools, and budgeted tool
 * execution; everything lands in local episodic memory, kept facts in semantic memory, and memory is synced
 * with the federation now and then. Without a model it still records, answers with a clear note, and runs
 * tasks that are explicit tool calls.
 */

export { NO_LLM_PREFIX };

export interface BrainOptions {
  did: string;
  name: string;
  role: string;
  dataDir: string;
  log: Logger;
  paths?: AgentPaths;
  /** The agent's signing key: signs memory records so they can be synced. */
  signer?: RecordSigner;
  /** Given directly (tests) or read from `<agent dir>/loop.json`. */
  settings?: Partial<LoopSettings>;
  now?: () => number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function recallLine(hit: { text: string; provenance: { author: string; recordedAt: number } }): string {
  return `- ${hit.text.replace(/\s+/g, ' ').slice(0, 500)} (from ${hit.provenance.author}, ${new Date(hit.provenance.recordedAt).toISOString()})`;
}

class LoopBrain implements Brain {
  readonly #o: BrainOptions;
  readonly #settings: LoopSettings;
  readonly #memory: LoopMemory;
  readonly #now: () => number;
  /** Replies sent per thread: all, and those answering another agent's automated reply. */
  readonly #replies = new Map<string, { sent: number; sentToAutomated: number }>();
  #hub: Client | null = null;
  #lastSync = 0;
  #syncing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: BrainOptions, settings: LoopSettings) {
    this.#o = options;
    this.#settings = settings;
    this.#now = options.now ?? Date.now;
    this.#memory = new LoopMemory({
      dataDir: options.dataDir,
      did: options.did,
      signer: options.signer,
      log: options.log,
    });
    if (settings.syncIntervalMs > 0 && this.#memory.canSync) {
      this.#timer = setInterval(() => this.#maybeSync(), settings.syncIntervalMs);
      this.#timer.unref();
    }
  }

  get memory(): LoopMemory {
    return this.#memory;
  }

  #budget(deadline?: number): Budget {
    const own = this.#now() + this.#settings.timeBudgetMs;
    return { maxSteps: this.#settings.maxSteps, deadline: Math.min(own, deadline ?? own), now: this.#now };
  }

  #builtins(thread: string): Map<string, Builtin> {
    const remember: Builtin = {
      tool: {
        name: 'remember_fact',
        description:
          'Keep a fact worth remembering in long-term memory (recalled in later conversations). ' +
          'share: "private" (default) or "public" (every agent in the federation can recall it after sync).',
        input_schema: {
          type: 'object',
          properties: {
            text: { type: 'string', description: 'The fact, self-contained' },
            share: { type: 'string', enum: ['private', 'public'] },
          },
          required: ['text'],
        },
      },
      run: async (args) => {
        const text = typeof args['text'] === 'string' ? args['text'].trim() : '';
        if (!text) throw new PlexusError('invalid', 'invalid_input', 'text: required', { field: 'text' });
        const scope: Scope = args['share'] === 'public' ? { kind: 'public' } : { kind: 'private' };
        const hit = await this.#memory.remember(text, scope, { source: 'agent-loop', thread });
        return `remembered (${scope.kind}) as ${hit.id}`;
      },
    };
    return new Map([[remember.tool.name, remember]]);
  }

  async #systemPrompt(ctx: AgentContext, query: string, extra: string): Promise<string> {
    const role = roleFor(this.#settings, ctx.role);
    const memories = await this.#memory.recall(query, this.#settings.recallK);
    return [
      role.prompt,
      `You are ${ctx.name} (${ctx.did}), role "${role.name}", in a network of agents connected by a Plexus hub.`,
      'Tool names are <server>__<tool>; those starting with hub__ run on the hub (registry, memory, …).',
      extra,
      memories.length ? `Relevant memories:\n${memories.map(recallLine).join('\n')}` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
  }

  async #history(thread: string): Promise<ChatMessage[]> {
    const recent = await this.#memory.recent(thread, this.#settings.shortTermWindow);
    return recent
      .filter((e) => e.role === 'user' || e.role === 'assistant')
      .map((e) => ({ role: e.role as 'user' | 'assistant', content: e.content }));
  }

  async #think(
    ctx: AgentContext,
    thread: string,
    messages: ChatMessage[],
    budget: Budget,
    signal?: AbortSignal,
  ) {
    const policy = toolPolicy(roleFor(this.#settings, ctx.role));
    const functions = toFunctionTools(await ctx.tools.list(), policy);
    return think({
      hub: ctx.hub,
      tools: ctx.tools,
      functions,
      builtins: this.#builtins(thread),
      allowed: policy,
      messages,
      routing: {
        task: this.#settings.task,
        model: this.#settings.model,
        temperature: this.#settings.temperature,
      },
      budget,
      signal,
      onToolCall: (call) => this.#recordCall(thread, call),
    });
  }

  async #recordCall(thread: string, call: ToolCallRecord): Promise<void> {
    await this.#memory.episode(
      thread,
      'tool',
      `${call.name} ${JSON.stringify(call.arguments)} → ${call.text}`,
      {
        tool: call.name,
        ok: call.ok,
      },
    );
  }

  async onMessage(msg: IncomingMessage, ctx: AgentContext): Promise<void> {
    this.#hub = ctx.hub;
    const thread = msg.thread ?? (msg.topic ? `topic:${msg.topic}` : `chat:${msg.from}`);
    const history = await this.#history(thread);
    await this.#memory.episode(thread, 'user', msg.text, {
      from: msg.from,
      message_id: msg.id,
      ...(msg.fromName ? { from_name: msg.fromName } : {}),
      ...(msg.topic ? { topic: msg.topic } : {}),
    });
    try {
      const replies = this.#replies.get(thread) ?? { sent: 0, sentToAutomated: 0 };
      const decision = replyDecision(msg, {
        ...replies,
        maxRepliesPerThread: this.#settings.maxRepliesPerThread,
        maxAutomatedRepliesPerThread: this.#settings.maxAutomatedRepliesPerThread,
      });
      if (!decision.answer) {
        ctx.log.info({ thread, from: msg.from, reason: decision.reason }, 'kept without answering');
        return;
      }
      let text: string;
      try {
        const system = await this.#systemPrompt(
          ctx,
          msg.text,
          `You are chatting with ${msg.fromName ?? 'another agent'} (${msg.from}); your answer is sent back to them.`,
        );
        const result = await this.#think(
          ctx,
          thread,
          [{ role: 'system', content: system }, ...history, { role: 'user', content: msg.text }],
          this.#budget(),
          ctx.signal,
        );
        text = result.text.trim() || '(no answer)';
      } catch (error) {
        if (error instanceof PlexusError && error.code === 'no_llm') {
          text = `${NO_LLM_PREFIX} ${ctx.name} received your message and kept it, but cannot think about it (${error.message.replace(/^no LLM available: /, '')})`;
        } else {
          ctx.log.warn({ err: error, thread }, 'could not answer a message');
          text = `${NO_LLM_PREFIX} ${ctx.name} could not answer: ${errorText(error)}`;
        }
      }
      this.#replies.set(thread, {
        sent: replies.sent + 1,
        sentToAutomated: replies.sentToAutomated + (isAutomated(msg.content) ? 1 : 0),
      });
      await ctx.reply(msg.from, text, msg.thread);
      await this.#memory.episode(thread, 'assistant', text, { to: msg.from });
    } finally {
      this.#maybeSync();
    }
  }

  async onTask(task: AssignedTask, ctx: AgentContext): Promise<TaskOutcome> {
    this.#hub = ctx.hub;
    const thread = `task:${task.id}`;
    await this.#memory.episode(thread, 'user', `task ${task.capability}: ${JSON.stringify(task.input)}`, {
      task_id: task.id,
      capability: task.capability,
      requester: task.requester,
    });
    let outcome: TaskOutcome;
    try {
      outcome = await this.#runTask(task, ctx, thread);
    } catch (error) {
      outcome = { state: 'failed', error: errorText(error) };
    }
    const summary =
      outcome.state === 'completed'
        ? JSON.stringify(outcome.result)
        : outcome.state === 'failed'
          ? outcome.error
          : outcome.question;
    await this.#memory.episode(thread, 'assistant', `${outcome.state}: ${summary}`, {
      task_id: task.id,
      state: outcome.state,
    });
    if (outcome.state === 'completed') {
      await this.#memory.remember(
        `Task "${task.capability}" for ${task.requester} completed: ${summary.slice(0, 2000)}`,
        undefined,
        {
          task_id: task.id,
          capability: task.capability,
        },
      );
    }
    this.#maybeSync();
    return outcome;
  }

  async #runTask(task: AssignedTask, ctx: AgentContext, thread: string): Promise<TaskOutcome> {
    const budget = this.#budget(task.deadline);
    const calls = explicitCalls(task.input);
    if (calls) {
      if (calls.length > budget.maxSteps)
        return {
          state: 'failed',
          error: `step budget exceeded: ${calls.length} calls, at most ${budget.maxSteps}`,
        };
      const policy = toolPolicy(roleFor(this.#settings, ctx.role));
      const builtins = this.#builtins(thread);
      const results: ToolCallRecord[] = [];
      for (const call of calls) {
        const record = await runToolCall(
          { tools: ctx.tools, builtins, allowed: policy, budget, signal: ctx.signal },
          call.tool,
          call.arguments,
        );
        await this.#recordCall(thread, record);
        if (!record.ok) return { state: 'failed', error: `${call.tool}: ${record.text}` };
        results.push(record);
      }
      const view = results.map((r) => ({
        tool: r.name,
        text: r.text,
        ...(r.structured ? { structured: r.structured } : {}),
      }));
      return {
        state: 'completed',
        result: (view.length === 1 ? view[0] : { results: view }) as unknown as JsonValue,
      };
    }
    const description = typeof task.input === 'string' ? task.input : JSON.stringify(task.input, null, 2);
    try {
      const system = await this.#systemPrompt(
        ctx,
        `${task.capability} ${description}`,
        `You were assigned a task needing the capability "${task.capability}" by ${task.requester}. ` +
          'Do it with your tools, then answer with the result only.',
      );
      const result = await this.#think(
        ctx,
        thread,
        [
          { role: 'system', content: system },
          { role: 'user', content: description },
        ],
        budget,
        ctx.signal,
      );
      return {
        state: 'completed',
        result: {
          answer: result.text,
          steps: result.steps,
          tool_calls: result.calls.map((c) => c.name),
          model: result.model,
        },
      };
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'no_llm')
        return {
          state: 'failed',
          error: `${error.message}. This task needs a model; send {tool, arguments} as the input to run a tool without one.`,
        };
      throw error;
    }
  }

  /** Starts a sync round when one is due and none is running; failures are logged, never thrown. */
  #maybeSync(): void {
    const hub = this.#hub;
    if (!hub || this.#syncing || !this.#memory.canSync || this.#settings.syncIntervalMs === 0) return;
    if (this.#now() - this.#lastSync < this.#settings.syncIntervalMs) return;
    this.#lastSync = this.#now();
    this.#syncing = this.#memory
      .sync(hub, this.#settings.syncPrivate)
      .then((report) => this.#o.log.info({ ...report, rejected: report.rejected.length }, 'memory synced'))
      .catch((error: unknown) => this.#o.log.warn({ err: error }, 'memory sync failed'))
      .finally(() => {
        this.#syncing = null;
      });
  }

  /** Runs a sync round now (waiting for one in flight first). */
  async syncNow(): Promise<void> {
    await this.#syncing;
    this.#lastSync = 0;
    const interval = this.#settings.syncIntervalMs;
    if (interval === 0) return;
    this.#maybeSync();
    await this.#syncing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#syncing;
    await this.#memory.close();
  }
}

export type { LoopBrain };

export function createBrain(options: BrainOptions): LoopBrain {
  const base = options.paths ? loadLoopSettings(options.paths.dir) : loadLoopSettings(options.dataDir);
  const settings = options.settings ? { ...base, ...options.settings } : base;
  return new LoopBrain(options, settings);
}
