import {
  Client,
  isJSONRPCResultResponse,
  type CallToolRequest,
  type JSONRPCResponse,
  type RequestOptions,
  type Result,
  type Tool,
} from '@modelcontextprotocol/client';
import { z } from 'zod';
import { TASK_METHODS } from '../../schemas/mcp-task.ts';

/** The `_meta` key a task answer rides under through the SDK's result handling, out of reach of any schema. */
const TASK_ANSWER_META_KEY = 'io.plexus/task-answer';

/** Any result, every field kept: the hub passes what it did not make as it came. */
export const AnyResult = z.looseObject({});

/**
 * The hub's client of an upstream: an SDK Client that forwards a request as the hub's client sent it and
 * answers what the upstream answered, also where the SDK alone would not — a `resultType: "task"` answer
 * to tools/call and the `tasks/*` methods of the Tasks extension (`io.modelcontextprotocol/tasks`), which
 * 2026-07-28 leaves to the extension and the SDK knows only from 2025-11-25's core.
 */
export class UpstreamClient extends Client {
  /** A task answer, which the SDK would refuse as an unknown result type, goes through as a result carrying it. */
  protected override _onresponse(response: JSONRPCResponse): void {
    if (isJSONRPCResultResponse(response) && response.result['resultType'] === 'task') {
      super._onresponse({
        ...response,
        result: { resultType: 'complete', content: [], _meta: { [TASK_ANSWER_META_KEY]: response.result } },
      });
      return;
    }
    super._onresponse(response);
  }

  /**
   * Sends one forwarded request; an `input_required` answer comes back as it is, for the hub to deal with.
   * A tools/call of `tool` (its definition as the upstream listed it) carries the `Mcp-Param-*` headers the
   * tool declares, mirrored from its arguments by the SDK, whichever era the hub's client speaks; the
   * results are not checked against the tool's output schema here: the hub's client does that.
   */
  async forward(
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions,
    tool?: Tool,
  ): Promise<Result> {
    const sending = { ...options, allowInputRequired: true };
    let result: Result;
    if (method === 'tools/call' && tool) {
      const { outputSchema: _unchecked, ...toolDefinition } = tool;
      result = await this.callTool(params as CallToolRequest['params'], { ...sending, toolDefinition });
    } else if ((TASK_METHODS as readonly string[]).includes(method)) {
      result = await this.request({ method, params }, AnyResult, sending);
    } else {
      result = await this.request({ method, params } as never, sending);
    }
    const answer = result._meta?.[TASK_ANSWER_META_KEY];
    return typeof answer === 'object' && answer !== null ? (answer as Result) : result;
  }
}
