import {
  ProtocolError,
  type CallToolResult,
  type McpServer,
  type RegisteredTool,
  type ServerContext,
  type ToolAnnotations,
} from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { inServerSpan, markToolError } from '../telemetry/mcp-spans.ts';
import { PlexusError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { callerOf, hasScope, type Caller, type Scope } from './caller.ts';
import { toolErrorFrom } from './result.ts';

/** `_meta` key naming the scope a tool needs; the hub's gateway reads it from tools/list too. */
export const SCOPE_META_KEY = 'io.plexus/scope';

export interface ToolContext {
  caller: Caller;
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal;
  /** The SDK's handler context (request metadata, related notifications). */
  mcp: ServerContext;
  /**
   * Sends a `notifications/progress` of this call, `progress` growing from one to the next; null when the
   * call carries no progress token (the client asked for none).
   */
  progress: ((update: ProgressUpdate) => Promise<void>) | null;
}

export interface ProgressUpdate {
  progress: number;
  total?: number;
  message?: string;
  /** What the update carries beyond the spec's fields (the client's SDK keeps `_meta`, drops other keys). */
  _meta?: Record<string, unknown>;
}

function progressOf(mcp: ServerContext): ToolContext['progress'] {
  const token = mcp.mcpReq._meta?.progressToken;
  if (token === undefined) return null;
  return (update) =>
    mcp.mcpReq.notify({ method: 'notifications/progress', params: { ...update, progressToken: token } });
}

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** read: looks only; write: changes state; admin: operator-only; public: anyone, even unauthenticated. */
  scope: Scope | 'public';
  input: I;
  output: O;
  annotations: Omit<ToolAnnotations, 'title'>;
  /**
   * Error codes whose text is the message alone: for a tool that words its failures as the server it
   * mirrors does. Their code and hint stay in `_meta`.
   */
  plainErrors?: readonly string[];
  /**
   * Returns the structured output and the text content (a short line, or what a mirrored server says). A recoverable failure is thrown as a PlexusError
   * (rendered as `isError` with its code and hint); `invalid` errors become InvalidParams naming the field.
   */
  handler: (args: z.infer<I>, ctx: ToolContext) => Promise<{ structured: z.infer<O>; text: string }>;
}

export interface ToolHost {
  log: Logger;
}

/**
 * Registers one tool with the conventions every Plexus tool follows: title, annotations, input and output
 * schemas, a scope check against the authenticated caller, and one error boundary that renders
 * PlexusError codes and hides internal errors.
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  server: McpServer,
  host: ToolHost,
  spec: ToolSpec<I, O>,
): RegisteredTool {
  return server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.input,
      outputSchema: spec.output,
      annotations: { title: spec.title, ...spec.annotations },
      _meta: { [SCOPE_META_KEY]: spec.scope },
    },
    (async (args: z.infer<I>, mcp: ServerContext): Promise<CallToolResult> =>
      inServerSpan(
        `tools/call ${spec.name}`,
        { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': spec.name },
        mcp.mcpReq._meta,
        async (span) => {
          const result = await call(args, mcp);
          markToolError(span, result);
          return result;
        },
      )) as never,
  );

  async function call(args: z.infer<I>, mcp: ServerContext): Promise<CallToolResult> {
    const caller = callerOf(mcp);
    if (spec.scope !== 'public' && !hasScope(caller, spec.scope)) {
      return toolErrorFrom(
        new PlexusError(
          'forbidden',
          'insufficient_scope',
          `${spec.name} needs the '${spec.scope}' scope; ${caller.subject} has [${caller.scopes.join(', ')}]`,
          { hint: 'get a token with the needed scope' },
        ),
      );
    }
    try {
      const { structured, text } = await spec.handler(args, {
        caller,
        signal: mcp.mcpReq.signal,
        mcp,
        progress: progressOf(mcp),
      });
      return {
        structuredContent: structured,
        content: [{ type: 'text', text }],
      };
    } catch (error) {
      const result = renderError(error, spec.name, host.log);
      if (error instanceof PlexusError && spec.plainErrors?.includes(error.code)) {
        return { ...result, content: [{ type: 'text', text: error.message }] };
      }
      return result;
    }
  }
}

export function renderError(error: unknown, tool: string, log: Logger): CallToolResult {
  // The SDK renders a thrown ProtocolError(InvalidParams) as an isError result carrying only text; rendering
  // domain errors here keeps their code and field machine-readable (in _meta) for every kind.
  if (error instanceof PlexusError) return toolErrorFrom(error);
  if (error instanceof ProtocolError) throw error;
  log.error({ err: error, tool }, 'tool failed');
  return toolErrorFrom(
    new PlexusError('internal', 'internal', `${tool} failed with an internal error`, {
      hint: 'see the server log',
    }),
  );
}
