import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { PlexusError } from '../../lib/errors.ts';
import { toolError } from '../../lib/mcp/result.ts';
import type { TaskStart, ToolCall, ToolTaskSource } from '../../lib/mcp/tool-tasks.ts';
import type { DetailedMcpTask, McpTask, McpTaskStatus } from '../../schemas/mcp-task.ts';
import type { TaskState } from '../../schemas/task.ts';
import { taskView, type TaskDispatcher, type TaskView } from './domain/dispatcher.ts';

const MCP_STATUS: Record<TaskState, McpTaskStatus> = {
  submitted: 'working',
  working: 'working',
  // What the assignee asks for, the requester answers in its own messages: nothing the client answers.
  'input-required': 'working',
  completed: 'completed',
  // The work failed, not the protocol: the task completes with an error result.
  failed: 'completed',
  rejected: 'completed',
  canceled: 'cancelled',
};

/** The bytes of a handle's MAC: 128 bits, as unguessable as a random id. */
const MAC_BYTES = 16;

/**
 * dispatch_task as an MCP task. The task is the registry's own A2A task: dispatch_task persists it, so any
 * replica answers `tasks/get` for it and it outlives restarts (TTL: none, the registry keeps its tasks).
 * The handle is `<task id>.<MAC>`, the MAC over the id and the requester under a key derived from the
 * registry's service key: task ids are time-ordered, the handle is not guessable, and it names no task
 * for anyone but the requester.
 */
export class DispatchedTasks implements ToolTaskSource {
  readonly tools = ['dispatch_task'];
  readonly #dispatcher: TaskDispatcher;
  readonly #key: Buffer;
  readonly #pollIntervalMs: number;

  constructor(dispatcher: TaskDispatcher, serviceSecret: Uint8Array, pollIntervalMs: number) {
    this.#dispatcher = dispatcher;
    this.#key = Buffer.from(hkdfSync('sha256', serviceSecret, '', 'plexus registry task handle v1', 32));
    this.#pollIntervalMs = pollIntervalMs;
  }

  async start(owner: string, call: ToolCall): Promise<TaskStart> {
    const result = await call.now();
    // A failed dispatch (no agent, bad input) is answered as it is: there is no task to follow.
    if (result.isError) return { result };
    // McpServer has checked the output against DispatchTaskOutput.
    const { task } = result.structuredContent as { task: TaskView };
    return { task: this.#task(this.#handle(task.id, owner), task) };
  }

  async get(owner: string, handle: string): Promise<DetailedMcpTask | null> {
    const id = this.#idOf(owner, handle);
    if (!id) return null;
    let view: TaskView;
    try {
      const record = await this.#dispatcher.get({ subject: owner, admin: false }, id);
      if (record.requester !== owner) return null;
      view = taskView(record);
    } catch (error) {
      if (error instanceof PlexusError && error.kind === 'not_found') return null;
      throw error;
    }
    const result = this.#result(view);
    return { ...this.#task(handle, view), ...(result ? { result } : {}) };
  }

  async cancel(owner: string, handle: string): Promise<boolean> {
    const id = this.#idOf(owner, handle);
    if (!id) return false;
    try {
      await this.#dispatcher.cancel(owner, id, 'cancelled with tasks/cancel');
      return true;
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'task_finished') return true;
      if (error instanceof PlexusError && error.kind === 'not_found') return false;
      throw error;
    }
  }

  #mac(id: string, owner: string): Buffer {
    return createHmac('sha256', this.#key).update(`${id}\n${owner}`).digest().subarray(0, MAC_BYTES);
  }

  #handle(id: string, owner: string): string {
    return `${id}.${this.#mac(id, owner).toString('base64url')}`;
  }

  /** The task id a handle names for `owner`, or null when it is not one the registry made for them. */
  #idOf(owner: string, handle: string): string | null {
    const dot = handle.lastIndexOf('.');
    if (dot < 0) return null;
    const id = handle.slice(0, dot);
    const mac = Buffer.from(handle.slice(dot + 1), 'base64url');
    return mac.length === MAC_BYTES && timingSafeEqual(mac, this.#mac(id, owner)) ? id : null;
  }

  #task(handle: string, view: TaskView): McpTask {
    const detail = view.message ?? view.error?.message;
    return {
      taskId: handle,
      status: MCP_STATUS[view.state],
      statusMessage:
        `${view.state} (${view.assignee ?? 'unassigned'}, attempt ${view.attempts} of ${view.max_attempts})` +
        (detail ? `: ${detail}` : ''),
      createdAt: new Date(view.created_at).toISOString(),
      lastUpdatedAt: new Date(view.updated_at).toISOString(),
      ttlMs: null,
      pollIntervalMs: this.#pollIntervalMs,
    };
  }

  /** What dispatch_task would answer had it waited for the end: the finished task, or why it failed. */
  #result(view: TaskView): CallToolResult | undefined {
    if (view.state === 'completed') {
      return {
        structuredContent: { task: view, registry_did: this.#dispatcher.serviceDid },
        content: [
          { type: 'text', text: `task ${view.id} (${view.capability}) completed by ${view.assignee}` },
        ],
      };
    }
    if (view.state === 'failed' || view.state === 'rejected') {
      const error = view.error ?? { code: `task_${view.state}`, message: view.state };
      return toolError(error.code, `task ${view.id} ${view.state}: ${error.message}`);
    }
    return undefined;
  }
}
