import type { Logger } from '../lib/log.ts';
import type { JsonValue } from '../schemas/common.ts';
import { TASK_CANCEL } from '../servers/registry/domain/dispatcher.ts';
import type { AgentContext, Brain, IncomingMessage } from './brain.ts';
import { isTransient } from './hub-session.ts';
import type { Mailbox, StoredMessage } from './mailbox.ts';
import { taskIdOf, type TaskRunner } from './tasks.ts';

export interface ProcessingOptions {
  mailbox: Mailbox;
  brain: Brain;
  tasks: TaskRunner;
  /** The brain's context now, or null while there is no hub session (the work waits for the next one). */
  context(): AgentContext | null;
  say(line: string): void;
  log: Logger;
}

function toIncoming(row: StoredMessage): IncomingMessage {
  return {
    id: row.id,
    from: row.peer,
    ...(row.peerName ? { fromName: row.peerName } : {}),
    ...(row.thread ? { thread: row.thread } : {}),
    text: row.text,
    content: row.content as JsonValue,
    receivedAt: row.storedAt,
    ...(row.topic ? { topic: row.topic } : {}),
    ...(row.processing === 'started' ? { redelivered: true as const } : {}),
  };
}

/**
 * Hands what the mailbox stored to the application, always from the store and each id once: chat messages
 * and topic deliveries to the brain, one at a time in the order stored; `task/assign` and `task/cancel` to
 * the task runner. A message is marked started before it is handed over and done after, so that whatever
 * happens to the hub connection or the process, a restart resumes what was never handed over, gives the
 * brain again (flagged `redelivered`) only the message it was handling when the agent died, and hands back
 * the tasks that were running then.
 */
export class Processing {
  readonly #o: ProcessingOptions;
  /** Task rows handed to the runner in this process and not done: row id → task id. */
  readonly #running = new Map<string, string | null>();
  #pumping: Promise<void> | null = null;
  #again = false;
  /** No new work is handed over. */
  #paused = false;
  /** The mailbox may be closed: late results are not written (the rows stay started). */
  #closed = false;

  constructor(options: ProcessingOptions) {
    this.#o = options;
  }

  /** Hands over whatever waits in the store (after a store, a connect, at start). */
  kick(): void {
    if (this.#paused) return;
    this.#startTasks();
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump();
  }

  #startTasks(): void {
    const { mailbox, tasks, log } = this.#o;
    for (const row of mailbox.unprocessed('tasks')) {
      if (this.#running.has(row.id)) continue;
      if (row.type === TASK_CANCEL) {
        const taskId = (row.content as { task_id?: unknown } | null)?.task_id;
        if (typeof taskId === 'string') tasks.cancel(taskId);
        mailbox.setProcessing(row.id, 'done');
        continue;
      }
      // Started but not running here: this process began after the one running it died.
      const interrupted = row.processing === 'started';
      mailbox.setProcessing(row.id, 'started');
      this.#running.set(row.id, taskIdOf(row.content));
      const work = interrupted ? tasks.handBackInterrupted(row.content) : tasks.run(row.content as JsonValue);
      void work
        .then(
          () => this.#finish(row.id, 'done'),
          (error: unknown) => {
            log.warn({ err: error, id: row.id }, 'task not taken on; tried again later');
            this.#finish(row.id, isTransient(error) ? row.processing : 'done');
          },
        )
        .finally(() => this.#running.delete(row.id));
    }
  }

  #finish(id: string, state: StoredMessage['processing']): void {
    if (!this.#closed) this.#o.mailbox.setProcessing(id, state);
  }

  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#toBrain();
      } while (this.#again && !this.#paused);
    } finally {
      this.#pumping = null;
    }
  }

  /** Hands the stored messages to the brain one by one until none waits (or there is no connection). */
  async #toBrain(): Promise<void> {
    const { mailbox, brain, log } = this.#o;
    for (;;) {
      if (this.#paused) return;
      const [row] = mailbox.unprocessed('brain', 1);
      if (!row) return;
      const context = this.#o.context();
      if (!context) return;
      const message = toIncoming(row);
      mailbox.setProcessing(row.id, 'started');
      const from = message.fromName ?? message.from;
      this.#o.say(
        `message from ${from}${message.topic ? ` on topic:${message.topic}` : ''}: ${message.text}`,
      );
      try {
        await brain.onMessage(message, context);
      } catch (error) {
        // Cut short by a stop: it stays started and comes again, flagged, after the restart.
        if (context.signal.aborted) return;
        log.error({ err: error, id: row.id }, 'brain failed on a message');
      }
      this.#finish(row.id, 'done');
    }
  }

  /** Hands nothing more over; resolves when the brain is done with the message it has. */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#pumping;
  }

  /** The tasks it handed the runner and that still run: their rows are done once they are handed back. */
  handedBack(taskIds: ReadonlySet<string>): void {
    for (const [row, taskId] of this.#running) if (taskId && taskIds.has(taskId)) this.#finish(row, 'done');
  }

  /** Writes nothing more: the mailbox is about to close. */
  close(): void {
    this.#paused = true;
    this.#closed = true;
  }
}
