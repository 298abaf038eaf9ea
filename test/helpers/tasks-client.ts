// An SDK v2 client for the MCP Tasks extension: the SDK knows the extension's methods only as custom ones
// (the explicit-schema request form) and a `resultType: "task"` answer not at all.
import {
  Client,
  StreamableHTTPClientTransport,
  isJSONRPCResultResponse,
  type CallToolResult,
  type JSONRPCResponse,
} from '@modelcontextprotocol/client';
import { z } from 'zod';
import {
  DetailedMcpTask,
  McpTask,
  TASKS_EXTENSION,
  TERMINAL_MCP_TASK_STATUSES,
  TaskAck,
} from '../../schemas/mcp-task.ts';

const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };

/** A tools/call answer: a task handle, or the result itself. */
export type CallOrTask = { task: McpTask } | { result: CallToolResult };

const ToolCallAnswer = z.looseObject({});

/**
 * A 2026-07-28 client that declares `io.modelcontextprotocol/tasks` on every request. A task answer to
 * tools/call is handed to the SDK as a complete result (which it resolves) and told apart again here.
 */
export class TasksClient extends Client {
  /** Every `resultType: "task"` answer as it came over the wire. */
  readonly taskAnswers: Record<string, unknown>[] = [];

  constructor() {
    super(
      { name: 'tasks-test', version: '1' },
      { ...MODERN, capabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    );
  }

  protected override _onresponse(response: JSONRPCResponse): void {
    if (isJSONRPCResultResponse(response) && response.result['resultType'] === 'task') {
      this.taskAnswers.push(response.result);
      super._onresponse({ ...response, result: { ...response.result, resultType: 'complete', content: [] } });
      return;
    }
    super._onresponse(response);
  }

  async callToolOrTask(name: string, args: Record<string, unknown>): Promise<CallOrTask> {
    const answer = await this.request(
      { method: 'tools/call', params: { name, arguments: args } },
      ToolCallAnswer,
    );
    const task = McpTask.safeParse(answer);
    return task.success ? { task: task.data } : { result: answer as CallToolResult };
  }

  getTask(taskId: string): Promise<DetailedMcpTask> {
    return this.request({ method: 'tasks/get', params: { taskId } }, DetailedMcpTask);
  }

  async cancelTask(taskId: string): Promise<void> {
    await this.request({ method: 'tasks/cancel', params: { taskId } }, TaskAck);
  }

  async updateTask(taskId: string, inputResponses: Record<string, unknown>): Promise<void> {
    await this.request({ method: 'tasks/update', params: { taskId, inputResponses } }, TaskAck);
  }

  /** Polls `tasks/get` at the interval the server asks for until the task ends (or `until` says so). */
  async pollTask(
    taskId: string,
    until: (task: DetailedMcpTask) => boolean = (task) => TERMINAL_MCP_TASK_STATUSES.includes(task.status),
  ): Promise<DetailedMcpTask> {
    for (;;) {
      const task = await this.getTask(taskId);
      if (until(task)) return task;
      await new Promise((resolve) => setTimeout(resolve, task.pollIntervalMs ?? 10));
    }
  }
}

/** Connects `client` to a Plexus HTTP endpoint as the holder of `token`. */
export async function connectHttp<C extends Client>(client: C, url: string, token: string): Promise<C> {
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** A 2026-07-28 client that does not declare the Tasks extension. */
export function plainModernClient(): Client {
  return new Client({ name: 'plain-test', version: '1' }, MODERN);
}
