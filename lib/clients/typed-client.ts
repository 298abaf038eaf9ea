import type { z } from 'zod';
import { callTool, type CallOptions, type ToolCaller } from './call-tool.ts';

/** One tool as a client sees it: its name and its input and output schemas from schemas/. */
export interface ToolContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  input: I;
  output: O;
}

export function contract<I extends z.ZodType, O extends z.ZodType>(
  name: string,
  input: I,
  output: O,
): ToolContract<I, O> {
  return { name, input, output };
}

/** A method per tool: typed input in, the parsed output out; a contract change breaks the callers' build. */
export type TypedClient<T extends Record<string, ToolContract>> = {
  readonly [M in keyof T]: (
    input: z.input<T[M]['input']>,
    options?: CallOptions,
  ) => Promise<z.output<T[M]['output']>>;
};

export interface TypedClientOptions {
  /** Put before every tool name: `identity__` to reach identity's tools through the hub's `/mcp`. */
  prefix?: string;
}

/** A client factory for one server: `defineClient('identity', {...})(client)` is that server's typed client. */
export function defineClient<T extends Record<string, ToolContract>>(
  server: string,
  tools: T,
): (caller: ToolCaller, options?: TypedClientOptions) => TypedClient<T> {
  return (caller, options = {}) => {
    const prefix = options.prefix ?? '';
    const methods = Object.entries(tools).map(([method, tool]) => [
      method,
      (input: unknown, callOptions?: CallOptions) =>
        callTool(
          caller,
          { server, tool: `${prefix}${tool.name}` },
          input as Record<string, unknown>,
          tool.output,
          callOptions,
        ),
    ]);
    return Object.fromEntries(methods) as TypedClient<T>;
  };
}
