import type { Logger } from '../lib/log.ts';
import type { JsonValue } from '../schemas/common.ts';
import type { AgentContext, AssignedTask, Brain, TaskOutcome } from './brain.ts';
import { isTransient, type HubSession } from './hub-session.ts';

export interface TaskRunnerOptions {
  brain: Brain;
  maxConcurrent: number;
  /** On shutdown, how long running tasks may take to finish before they are handed back. */
  graceMs: number;
  /** The hub session now (throws when there is none). */
  session(): HubSession;
  /** What the brain gets for one task; `signal` aborts when the task is no longer wanted. */
  context(signal: AbortSignal): AgentContext;
  say(line: string): void;
  log: Logger;
}

/** The task id a `task/assign` envelope's content names, or null when it names none. */
export function taskIdOf(content: unknown): string | null {
  const id = (content as { task?: { id?: unknown } } | null)?.task?.id;
  return typeof id === 'string' ? id : null;
}

interface RunningTask {
  id: string;
  controller: AbortController;
  /** Settles when the task's run is over, whatever its outcome. */
  done: Promise<void>;
}

/**
 * The tasks the registry dispatched to this agent: each runs through the brain and its outcome goes back to
 * the registry. At shutdown they may finish within the grace period; the rest are handed back (rejected →
 * the registry re-dispatches them).
 */
export class TaskRunner {
  readonly #o: TaskRunnerOptions;
  readonly #tasks = new Map<string, RunningTask>();
  #closing = false;
  /** Resolved to cut the shutdown grace period short. */
  readonly #hurry = Promise.withResolvers<void>();

  constructor(options: TaskRunnerOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Whether task `id` runs here now. */
  runs(id: string): boolean {
    return this.#tasks.has(id);
  }

  /** The registry canceled a task: its brain work is aborted and its result dropped. */
  cancel(id: string): void {
    this.#tasks.get(id)?.controller.abort();
  }

  /** Runs a `task/assign` envelope's content to its outcome, or rejects it when full or closing. */
  async run(content: JsonValue): Promise<void> {
    const { log } = this.#o;
    const view = (content as { task?: Record<string, unknown> } | null)?.task;
    const id = taskIdOf(content);
    if (!view || !id) {
      log.warn({ content }, 'task/assign without a task');
      return;
    }
    const session = this.#o.session();
    if (this.#tasks.has(id)) return;
    if (this.#closing || this.#tasks.size >= this.#o.maxConcurrent) {
      await session.servers.registry.updateTask({
        id,
        state: 'rejected',
        message: this.#closing ? 'agent is shutting down' : 'agent is at its task limit',
      });
      return;
    }
    const controller = new AbortController();
    const finished = Promise.withResolvers<void>();
    this.#tasks.set(id, { id, controller, done: finished.promise });
    try {
      let input = (view['input'] ?? null) as JsonValue;
      if ((content as { input_omitted?: boolean }).input_omitted) {
        const full = await session.servers.registry.getTask({ id });
        input = full.task.input;
      }
      const task: AssignedTask = {
        id,
        capability: String(view['capability']),
        input,
        requester: String(view['requester']),
        ...(typeof view['deadline'] === 'number' ? { deadline: view['deadline'] } : {}),
      };
      this.#o.say(`task ${id} (${task.capability}) from ${task.requester}`);
      await session.servers.registry.updateTask({ id, state: 'working' });
      let outcome: TaskOutcome;
      try {
        outcome = await this.#o.brain.onTask(task, this.#o.context(controller.signal));
      } catch (error) {
        outcome = { state: 'failed', error: (error as Error).message };
      }
      if (controller.signal.aborted) {
        log.info({ task: id }, 'task canceled; result dropped');
        return;
      }
      const update =
        outcome.state === 'completed'
          ? { state: 'completed' as const, result: outcome.result }
          : outcome.state === 'failed'
            ? {
                state: 'failed' as const,
                error: { code: 'agent_failed', message: outcome.error.slice(0, 2000) },
              }
            : { state: 'input-required' as const, message: outcome.question.slice(0, 500) };
      await this.#o.session().servers.registry.updateTask({ id, ...update });
      this.#o.say(`task ${id} ${outcome.state}`);
      log.info({ task: id, state: outcome.state }, 'task finished');
    } catch (error) {
      log.error({ task: id, err: error }, 'task update failed');
    } finally {
      this.#tasks.delete(id);
      finished.resolve();
    }
  }

  /**
   * Takes no new tasks and waits up to the grace period for running ones, telling the registry (through
   * `session`, when connected) that this agent is full meanwhile.
   */
  async finish(session: HubSession | null): Promise<void> {
    this.#closing = true;
    const running = [...this.#tasks.values()].map((task) => task.done);
    const grace = this.#o.graceMs;
    if (running.length === 0 || grace === 0) return;
    this.#o.say(
      `finishing ${running.length} task(s) before stopping (up to ${grace} ms; stop again to hand them back now)`,
    );
    await session?.servers.registry
      .heartbeat({ status: 'online', load: 1, active_tasks: running.length })
      .catch((error: unknown) => this.#o.log.warn({ err: error }, 'heartbeat refused'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running),
      this.#hurry.promise,
      new Promise((resolve) => (timer = setTimeout(resolve, grace))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Stops waiting for running tasks: a finish in progress ends now. */
  hurry(): void {
    this.#hurry.resolve();
  }

  /** Aborts what still runs and hands it back to the registry; returns the ids it handed back. */
  async handBack(session: HubSession): Promise<Set<string>> {
    const handed = new Set<string>();
    // All at once, before any update: a brain that stops early must not report its task failed meanwhile
    // (and a task whose run ends meanwhile leaves the map, so the list is taken first).
    const running = [...this.#tasks.values()];
    for (const task of running) task.controller.abort();
    for (const task of running) {
      await session.servers.registry
        .updateTask({ id: task.id, state: 'rejected', message: 'agent shut down' })
        .then(() => handed.add(task.id))
        .catch((error: unknown) => this.#o.log.warn({ err: error, task: task.id }, 'task hand-back failed'));
    }
    return handed;
  }

  /**
   * Hands back a task this agent was running when it stopped abruptly: its work is lost, so the registry
   * re-dispatches it. A registry that already moved on (the task finished, was canceled or re-dispatched)
   * refuses, which ends the matter too; only a transient failure throws (try again later).
   */
  async handBackInterrupted(content: unknown): Promise<void> {
    const id = taskIdOf(content);
    if (!id) return;
    try {
      await this.#o.session().servers.registry.updateTask({
        id,
        state: 'rejected',
        message: 'agent restarted while working on it',
      });
      this.#o.say(`task ${id} handed back (interrupted by a restart)`);
    } catch (error) {
      if (isTransient(error)) throw error;
      this.#o.log.info({ task: id, err: error }, 'interrupted task not handed back; the registry moved on');
    }
  }
}
