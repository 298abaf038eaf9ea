import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import type {
  DetailedMcpTask,
  JsonRpcErrorObject,
  McpTask,
  McpTaskSettings,
  McpTaskStatus,
} from '../../schemas/mcp-task.ts';
import type { Logger } from '../log.ts';
import type { TaskStart, ToolCall, ToolTaskSource } from './tool-tasks.ts';

interface Entry {
  id: string;
  owner: string;
  createdAt: number;
  updatedAt: number;
  /** When the task left `working`; null while it works. */
  finishedAt: number | null;
  status: McpTaskStatus;
  statusMessage?: string;
  result?: CallToolResult;
  error?: JsonRpcErrorObject;
  controller: AbortController;
}

type Outcome =
  | { status: 'completed'; result: CallToolResult }
  | { status: 'failed'; error: JsonRpcErrorObject; statusMessage: string }
  | { status: 'cancelled'; statusMessage: string };

/**
 * Tool calls run in the background of a component, kept in memory: each task belongs to the caller that
 * started it, under an unguessable id, and is kept `ttl_ms` from its creation (work still running when
 * that passes is kept a whole period more, so a result is never dropped before it is read). Cancelling
 * aborts the work's signal and ends the task as `cancelled` at once; whatever the work still produces is
 * dropped. Past `max_running_per_caller` running tasks, a caller's next call runs blocking.
 */
export class BackgroundTasks implements ToolTaskSource {
  readonly tools: readonly string[];
  readonly #entries = new Map<string, Entry>();
  readonly #settings: McpTaskSettings;
  readonly #now: () => number;
  readonly #log: Logger;

  constructor(
    tools: readonly string[],
    settings: McpTaskSettings,
    options: { now: () => number; log: Logger },
  ) {
    this.tools = tools;
    this.#settings = settings;
    this.#now = options.now;
    this.#log = options.log;
  }

  async start(owner: string, call: ToolCall): Promise<TaskStart> {
    this.#sweep();
    if (this.#running(owner) >= this.#settings.max_running_per_caller) return { result: await call.now() };
    const now = this.#now();
    const entry: Entry = {
      id: randomUUID(),
      owner,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      status: 'working',
      controller: new AbortController(),
    };
    this.#entries.set(entry.id, entry);
    call
      .detached(entry.controller.signal, (message) => {
        if (entry.status !== 'working') return;
        entry.statusMessage = message;
        entry.updatedAt = this.#now();
      })
      .then(
        (result) => this.#finish(entry, { status: 'completed', result }),
        (error: unknown) => this.#finish(entry, this.#failure(error)),
      );
    return { task: this.#task(entry) };
  }

  async get(owner: string, taskId: string): Promise<DetailedMcpTask | null> {
    const entry = this.#entries.get(taskId);
    if (!entry || entry.owner !== owner) return null;
    if (this.#expired(entry)) {
      this.#entries.delete(taskId);
      return null;
    }
    return {
      ...this.#task(entry),
      ...(entry.result ? { result: entry.result } : {}),
      ...(entry.error ? { error: entry.error } : {}),
    };
  }

  async cancel(owner: string, taskId: string): Promise<boolean> {
    const entry = this.#entries.get(taskId);
    if (!entry || entry.owner !== owner || this.#expired(entry)) return false;
    if (entry.status === 'working') {
      this.#finish(entry, { status: 'cancelled', statusMessage: 'cancelled by the client' });
      entry.controller.abort();
    }
    return true;
  }

  /** Stops every running task (the component is closing). */
  close(): void {
    for (const entry of this.#entries.values()) {
      if (entry.status !== 'working') continue;
      this.#finish(entry, { status: 'cancelled', statusMessage: 'the server stopped' });
      entry.controller.abort();
    }
  }

  #finish(entry: Entry, outcome: Outcome): void {
    if (entry.status !== 'working') return;
    const now = this.#now();
    Object.assign(entry, outcome, { updatedAt: now, finishedAt: now });
  }

  #failure(error: unknown): Outcome {
    if (error instanceof ProtocolError) {
      const data = error.data === undefined ? {} : { data: error.data };
      return {
        status: 'failed',
        error: { code: error.code, message: error.message, ...data },
        statusMessage: error.message,
      };
    }
    this.#log.error({ err: error }, 'background tool call failed');
    return {
      status: 'failed',
      error: { code: ProtocolErrorCode.InternalError, message: 'Internal error' },
      statusMessage: 'the tool failed with an internal error',
    };
  }

  /** From creation, in whole periods of ttl_ms: one, or as many as the work took to finish plus one. */
  #ttlMs(entry: Entry): number {
    const ttl = this.#settings.ttl_ms;
    const lived = (entry.finishedAt ?? this.#now()) - entry.createdAt;
    return ttl * (Math.floor(lived / ttl) + 1);
  }

  #expired(entry: Entry): boolean {
    return entry.finishedAt !== null && this.#now() >= entry.createdAt + this.#ttlMs(entry);
  }

  #sweep(): void {
    for (const [id, entry] of this.#entries) if (this.#expired(entry)) this.#entries.delete(id);
  }

  #running(owner: string): number {
    let running = 0;
    for (const entry of this.#entries.values()) {
      if (entry.owner === owner && entry.status === 'working') running++;
    }
    return running;
  }

  #task(entry: Entry): McpTask {
    return {
      taskId: entry.id,
      status: entry.status,
      ...(entry.statusMessage === undefined ? {} : { statusMessage: entry.statusMessage }),
      createdAt: new Date(entry.createdAt).toISOString(),
      lastUpdatedAt: new Date(entry.updatedAt).toISOString(),
      ttlMs: this.#ttlMs(entry),
      pollIntervalMs: this.#settings.poll_interval_ms,
    };
  }
}
