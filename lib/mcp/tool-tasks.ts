import {
  CLIENT_CAPABILITIES_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  isInputRequiredResult,
  type CallToolRequest,
  type CallToolResult,
  type ClientCapabilities,
  type JSONRPCRequest,
  type McpServer,
  type Result,
  type ServerContext,
} from '@modelcontextprotocol/server';
import {
  DetailedMcpTask,
  TASKS_EXTENSION,
  TaskAck,
  TaskIdParams,
  type McpTask,
} from '../../schemas/mcp-task.ts';
import { callerOf } from './caller.ts';

/** One tools/call a task may take over. */
export interface ToolCall {
  /** Runs the call within its request, as a blocking call runs. */
  now(): Promise<CallToolResult>;
  /**
   * Runs the call on its own, past the end of its request: `signal` stops it, and the progress it reports
   * arrives as `onProgress` lines (the task's status) instead of notifications.
   */
  detached(signal: AbortSignal, onProgress: (message: string) => void): Promise<CallToolResult>;
}

/** What a call became: a task, or the call's own result when no task was made for it. */
export type TaskStart = { task: McpTask } | { result: CallToolResult };

/**
 * Where a server's tasks live. Components serve 2026-07-28 requests with a fresh server instance per
 * request, so a source belongs to the component and outlives every instance that uses it.
 */
export interface ToolTaskSource {
  /** The tools whose calls may become tasks. */
  readonly tools: readonly string[];
  /** Makes `call` a task owned by `owner`, or answers it without one (the client then gets the result). */
  start(owner: string, call: ToolCall): Promise<TaskStart>;
  /** The task, or null when `owner` has none by that id: someone else's task is no task at all. */
  get(owner: string, taskId: string): Promise<DetailedMcpTask | null>;
  /** Asks the work to stop (cooperatively); false when `owner` has no task by that id. */
  cancel(owner: string, taskId: string): Promise<boolean>;
}

type RequestHandler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

/**
 * Two protected hooks of the SDK's Server, used the way its own role classes use them: reading a registered
 * handler, and registering one without the role's wrapper around it.
 */
class ServerHooks extends Server {
  // Any Server is one of these: the class adds nothing but access.
  static handler(server: ServerHooks, method: string): RequestHandler {
    const handler = server._getRequestHandler(method);
    if (!handler) throw new Error(`no ${method} handler is registered yet: register the tools first`);
    return handler;
  }

  /** Registers a tools/call handler as it is: the role's wrapper is shadowed while it is stored. */
  static setToolsCall(server: ServerHooks, handler: RequestHandler): void {
    server._wrapHandler = (_method, stored) => stored;
    try {
      // Its answer may be a task, which the typed map of tools/call results does not know.
      server.setRequestHandler('tools/call', handler as never);
    } finally {
      Reflect.deleteProperty(server, '_wrapHandler');
    }
  }
}

/** Whether a tools/call answer is a task handle (`resultType: "task"`) rather than the call's result. */
export function isTaskAnswer(result: Result): boolean {
  return result['resultType'] === 'task';
}

/** A task answer on its way out of a tools/call handler, past the role's wrapper. */
class TaskAnswer extends Error {
  readonly answer: Result;
  constructor(answer: Result) {
    super('a task answer');
    this.answer = answer;
  }
}

/**
 * Registers `handler` for tools/call on `server`. It runs inside the role's wrapper like any handler
 * (request validation, `requestState`, the `input_required` checks), but a task answer it returns leaves as
 * it is, where the wrapper would check it as a tool result and add `content`.
 */
export function setToolsCallHandler(
  server: Server,
  handler: (request: CallToolRequest, ctx: ServerContext) => Promise<Result>,
): void {
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const result = await handler(request, ctx);
    if (isTaskAnswer(result)) throw new TaskAnswer(result);
    return result as CallToolResult;
  });
  const wrapped = ServerHooks.handler(server, 'tools/call');
  ServerHooks.setToolsCall(server, async (request, ctx) => {
    try {
      return await wrapped(request, ctx);
    } catch (error) {
      if (error instanceof TaskAnswer) return error.answer;
      throw error;
    }
  });
}

/**
 * The first revision the extension is defined on. 2025-11-25 has tasks of its own in its core, under the
 * same method names with other shapes, so a 2025-era session never gets tasks, whatever it declares.
 */
const TASKS_SINCE_REVISION = '2026-07-28';

/** Whether a request's `_meta` envelope declares the Tasks extension in its client capabilities. */
export function declaresTasks(envelope: Record<string, unknown> | undefined): boolean {
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  return capabilities?.extensions?.[TASKS_EXTENSION] !== undefined;
}

/** The answer to a task request from a client that did not declare the extension (-32021). */
export function tasksNotDeclared(): MissingRequiredClientCapabilityError {
  return new MissingRequiredClientCapabilityError({
    requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
  });
}

/** The progress token a detached call sees, so that tools report progress as they always do. */
const TASK_PROGRESS_TOKEN = 'task';

function detachedContext(
  ctx: ServerContext,
  signal: AbortSignal,
  onProgress: (message: string) => void,
): ServerContext {
  return {
    ...ctx,
    mcpReq: {
      ...ctx.mcpReq,
      _meta: { ...ctx.mcpReq._meta, progressToken: TASK_PROGRESS_TOKEN },
      signal,
      // The request is over: progress becomes the task's status line, nothing else reaches the client.
      notify: async (notification) => {
        const message =
          notification.method === 'notifications/progress' ? notification.params?.['message'] : undefined;
        if (typeof message === 'string') onProgress(message);
      },
      log: async () => {},
    },
  };
}

async function toolResult(pending: Promise<Result>): Promise<CallToolResult> {
  const result = await pending;
  if (isInputRequiredResult(result)) {
    // Tools that run as tasks take all their input up front; a task has no way to ask for more.
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      'the tool asked for input a task cannot ask for',
    );
  }
  return result as CallToolResult;
}

/** What a task request for a task the server does not know (someone else's included) is answered. */
export function taskNotFound(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, 'Failed to retrieve task: Task not found');
}

/**
 * Serves the Tasks extension (`io.modelcontextprotocol/tasks`) on `server`, whose tools are registered:
 * advertises it, answers `tasks/get`, `tasks/update` and `tasks/cancel` for the caller's own tasks, and
 * hands a declaring client's calls of `source.tools` to `source`. Every other call is served exactly as
 * before. Returns `server`.
 *
 * tools/call is routed by a handler registered in place of McpServer's, without the wrapper the SDK puts
 * around a tools/call handler: that wrapper insists on a CallToolResult, which a `resultType: "task"`
 * answer is not. Every call still runs through McpServer's handler, wrapper included, a task's too.
 */
export function serveToolTasks<S extends McpServer>(server: S, source: ToolTaskSource): S {
  const inner = server.server;
  // Revisions are dates; the era is the server instance's own (one per request, or per 2025 session).
  const declared = (ctx: ServerContext) =>
    (inner.getNegotiatedProtocolVersion() ?? '') >= TASKS_SINCE_REVISION &&
    declaresTasks(ctx.mcpReq.envelope);
  const callTool = ServerHooks.handler(inner, 'tools/call');
  inner.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } });
  ServerHooks.setToolsCall(inner, async (request, ctx) => {
    const name = request.params?.['name'];
    if (typeof name !== 'string' || !source.tools.includes(name) || !declared(ctx)) {
      return callTool(request, ctx);
    }
    const started = await source.start(callerOf(ctx).subject, {
      now: () => toolResult(callTool(request, ctx)),
      detached: (signal, onProgress) =>
        toolResult(callTool(request, detachedContext(ctx, signal, onProgress))),
    });
    return 'task' in started ? { ...started.task, resultType: 'task' } : started.result;
  });
  const owner = (ctx: ServerContext): string => {
    if (!declared(ctx)) throw tasksNotDeclared();
    return callerOf(ctx).subject;
  };
  inner.setRequestHandler(
    'tasks/get',
    { params: TaskIdParams, result: DetailedMcpTask },
    async ({ taskId }, ctx) => {
      const task = await source.get(owner(ctx), taskId);
      if (!task) throw taskNotFound();
      return task;
    },
  );
  inner.setRequestHandler(
    'tasks/update',
    { params: TaskIdParams, result: TaskAck },
    async ({ taskId }, ctx) => {
      // No task here ever waits for input, so no response answers an outstanding request: each is ignored.
      if (!(await source.get(owner(ctx), taskId))) throw taskNotFound();
      return {};
    },
  );
  inner.setRequestHandler(
    'tasks/cancel',
    { params: TaskIdParams, result: TaskAck },
    async ({ taskId }, ctx) => {
      if (!(await source.cancel(owner(ctx), taskId))) throw taskNotFound();
      return {};
    },
  );
  return server;
}
