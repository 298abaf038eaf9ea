import { z } from 'zod';

// The MCP Tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): a tools/call may be answered with a
// task handle the client polls. These are its wire shapes; Plexus's own A2A tasks are in task.ts.

/** The extension's identifier, as clients and servers name it in `capabilities.extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The extension's methods (2026-07-28 has no `tasks/list` nor `tasks/result`). */
export const TASK_METHODS = ['tasks/get', 'tasks/update', 'tasks/cancel'] as const;

export const MCP_TASK_STATUSES = ['working', 'input_required', 'completed', 'failed', 'cancelled'] as const;
export const McpTaskStatus = z.enum(MCP_TASK_STATUSES);
export type McpTaskStatus = z.infer<typeof McpTaskStatus>;

export const TERMINAL_MCP_TASK_STATUSES: readonly McpTaskStatus[] = ['completed', 'failed', 'cancelled'];

/** Task ids are opaque to clients; this bounds what a server accepts. */
export const McpTaskId = z.string().min(1).max(256);

export const McpTask = z.object({
  taskId: McpTaskId,
  status: McpTaskStatus,
  /** A line for people or models: progress while working, why it ended when it did. */
  statusMessage: z.string().optional(),
  createdAt: z.iso.datetime(),
  lastUpdatedAt: z.iso.datetime(),
  /** How long the server keeps the task, from creation; null for as long as the server keeps the work. */
  ttlMs: z.int().positive().nullable(),
  pollIntervalMs: z.int().positive().optional(),
});
export type McpTask = z.infer<typeof McpTask>;

/** A JSON-RPC error: what a `failed` task carries. */
export const JsonRpcErrorObject = z.object({
  code: z.int(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type JsonRpcErrorObject = z.infer<typeof JsonRpcErrorObject>;

/**
 * What `tasks/get` answers: the task plus what its status carries — the original request's result when
 * `completed` (a tool result with `isError` included), the JSON-RPC error when `failed`.
 */
export const DetailedMcpTask = McpTask.extend({
  result: z.record(z.string(), z.unknown()).optional(),
  error: JsonRpcErrorObject.optional(),
  inputRequests: z.record(z.string(), z.unknown()).optional(),
});
export type DetailedMcpTask = z.infer<typeof DetailedMcpTask>;

/**
 * Params of `tasks/get`, `tasks/update` and `tasks/cancel`. (The `inputResponses` of `tasks/update` are
 * lifted out of the params by the SDK, as for every 2026-07-28 request.)
 */
export const TaskIdParams = z.object({ taskId: McpTaskId });

/** The empty acknowledgement of `tasks/update` and `tasks/cancel`. */
export const TaskAck = z.object({});

/** Settings of a server that runs tool calls in the background as tasks (snake_case, like server settings). */
export const McpTaskSettings = z.strictObject({
  /** How long a task and its result are kept, from creation; work still running is kept a period more. */
  ttl_ms: z.int().min(1000).default(3_600_000),
  /** How often clients are asked to poll. */
  poll_interval_ms: z.int().min(1).default(1000),
  /** Tasks one caller may have running at once; past this, calls run blocking. */
  max_running_per_caller: z.int().min(1).max(1000).default(8),
});
export type McpTaskSettings = z.infer<typeof McpTaskSettings>;
