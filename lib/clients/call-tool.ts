import type { CallToolResult, Client, RequestOptions } from '@modelcontextprotocol/client';
import type { z } from 'zod';
import { parseOrThrow } from '../../schemas/common.ts';
import { PlexusError } from '../errors.ts';
import { CALLER_META_KEY } from '../mcp/caller.ts';
import { toolErrorOf } from '../mcp/result.ts';
import { callFailure, MalformedResultError, ToolError, type CallSite } from './errors.ts';

export interface ToolCallParams {
  name: string;
  arguments: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

/**
 * What a typed client needs of a connection: one `tools/call`. An SDK Client is one; `leasedCaller` makes one
 * over a pool that lends a client per call.
 */
export interface ToolCaller {
  callTool(params: ToolCallParams, options?: RequestOptions): Promise<CallToolResult>;
}

/**
 * A ToolCaller over a pool that lends a connected Client for each call (the hub's upstreams). It sends a
 * plain `tools/call`, so nothing depends on the lent client's cached tool list.
 */
export function leasedCaller(lease: <T>(use: (client: Client) => Promise<T>) => Promise<T>): ToolCaller {
  return {
    callTool: (params, options) =>
      lease((client) => client.request({ method: 'tools/call', params: { ...params } }, options)),
  };
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds before the call fails as unreachable (the SDK's default otherwise). */
  timeout?: number;
  /** Act for this caller: the called server honours it from a delegate (the hub, a sibling) only. */
  caller?: { subject: string; scopes: readonly string[] };
  /** Asks for the call's progress notifications (a progress token is sent) and gets each one's params. */
  onprogress?: (progress: Record<string, unknown>) => void;
}

/**
 * Calls `site.tool` and returns its structured result parsed against `output`. Throws ToolError (the server's
 * code, hint, field and kind), MalformedResultError (naming the field) or UnreachableError; a call the
 * caller aborted rethrows the abort as it came, and a PlexusError from the ToolCaller itself (a pool that
 * knows why it failed) is kept.
 */
export async function callTool<O extends z.ZodType>(
  caller: ToolCaller,
  site: CallSite,
  args: Record<string, unknown>,
  output: O,
  options: CallOptions = {},
): Promise<z.output<O>> {
  let result: CallToolResult;
  try {
    result = await caller.callTool(
      {
        name: site.tool,
        arguments: args,
        ...(options.caller
          ? {
              _meta: {
                [CALLER_META_KEY]: { subject: options.caller.subject, scopes: [...options.caller.scopes] },
              },
            }
          : {}),
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        ...(options.onprogress ? { onprogress: options.onprogress } : {}),
      },
    );
  } catch (error) {
    // An abort is the caller's own; a PlexusError is a failure the ToolCaller has already classified.
    if (options.signal?.aborted || error instanceof PlexusError) throw error;
    throw callFailure(site, error);
  }
  const failure = toolErrorOf(result);
  if (failure) throw new ToolError(site, failure);
  try {
    return parseOrThrow(output, result.structuredContent, 'structuredContent');
  } catch (error) {
    throw error instanceof PlexusError ? new MalformedResultError(site, error) : error;
  }
}
