import type { Result, Server } from '@modelcontextprotocol/server';
import { declaresTasks, taskNotFound, tasksNotDeclared } from '../../lib/mcp/tool-tasks.ts';
import { TASK_METHODS, TaskIdParams } from '../../schemas/mcp-task.ts';
import { AnyResult } from '../upstream/upstream-client.ts';
import type { Aggregator, Mount, ViewName } from './aggregator.ts';
import { virtualName } from './tool-sets.ts';
import type { Forward } from './forwarding.ts';
import { NAME_SEPARATOR } from './merge.ts';

/**
 * A task (a task answer to tools/call, or what tasks/get answers) as the client of `view` sees it: on `/mcp` (and
 * virtual servers, which list aggregate names) its id names the server it belongs to, `<server>__<taskId>` as tool names do, so that the client's
 * `tasks/*` find their way back with nothing kept for the client; elsewhere it is the server's own.
 */
export function taskAnswer(view: ViewName, source: Mount, task: Result): Result {
  if (view !== null && virtualName(view) === null) return task;
  return { ...task, taskId: `${source.name}${NAME_SEPARATOR}${String(task['taskId'])}` };
}

/** The server a task of `view` belongs to, and its own id for it. */
function taskRoute(
  aggregator: Aggregator,
  view: ViewName,
  taskId: string,
): { target: Mount; taskId: string } {
  const single = aggregator.mountOf(view);
  if (single) return { target: single, taskId };
  // Split at the first separator: server names have none, a server's own task ids may.
  const cut = taskId.indexOf(NAME_SEPARATOR);
  const target = cut > 0 ? aggregator.mounts.get(taskId.slice(0, cut)) : undefined;
  // A server that is not there, or has no tasks, has no such task either.
  if (!target?.servesTasks) throw taskNotFound();
  return { target, taskId: taskId.slice(cut + NAME_SEPARATOR.length) };
}

/**
 * Forwards the methods of the Tasks extension (`io.modelcontextprotocol/tasks`) on a view that advertises
 * it, each to the server the task belongs to. The task is named by `params.taskId`, which the SDK's HTTP
 * entry has checked is the request's `Mcp-Name` header (what the gateway decided on); the server gets its
 * own id, in the body and in `Mcp-Name`, and the caller in `_meta` as for tools/call. It checks that the task
 * is the caller's: its errors (`-32602` for a task it does not know, someone else's included) reach the
 * client as it gave them.
 */
export function registerTaskForwarding(
  server: Server,
  aggregator: Aggregator,
  view: ViewName,
  forward: Forward,
): void {
  for (const method of TASK_METHODS) {
    server.setRequestHandler(method, { params: TaskIdParams, result: AnyResult }, async ({ taskId }, ctx) => {
      // Refused here as the server would refuse it, whichever server the id names.
      if (!declaresTasks(ctx.mcpReq.envelope)) throw tasksNotDeclared();
      const route = taskRoute(aggregator, view, taskId);
      // Reading and cancelling a task again changes nothing; an update may answer something once.
      const retryable = method !== 'tasks/update';
      const request = { method, label: '', params: { taskId: route.taskId }, retryable };
      const answer = await forward(route.target, request, ctx);
      return method === 'tasks/get' ? taskAnswer(view, route.target, answer) : answer;
    });
  }
}
