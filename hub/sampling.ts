import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CreateMessageRequest,
  type CreateMessageResult,
} from '@modelcontextprotocol/sdk/types.js';
import { CALLER_META_KEY, type Caller } from '../lib/mcp/caller.ts';
import type { Sampler } from './aggregate/aggregator.ts';
import type { Upstream } from './upstream/upstream.ts';

type SamplingContent = CreateMessageRequest['params']['messages'][number]['content'];

function textOf(content: SamplingContent): string {
  const parts = Array.isArray(content) ? content : [content];
  return parts
    .map((part) => (part.type === 'text' ? part.text : `[${part.type} content omitted]`))
    .join('\n');
}

/**
 * Answers an upstream's `sampling/createMessage` with the llm server's `chat` tool, for clients that cannot
 * sample themselves. Runs as the client that caused the request, so the llm server applies its limits to them.
 */
export function llmSampler(llm: Upstream): Sampler {
  return async (params, caller: Caller): Promise<CreateMessageResult> => {
    const messages = [
      ...(params.systemPrompt ? [{ role: 'system', content: params.systemPrompt }] : []),
      ...params.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
    ];
    const args: Record<string, unknown> = {
      messages,
      max_tokens: params.maxTokens,
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
      ...(params.stopSequences?.length ? { stop: params.stopSequences } : {}),
      ...(params.modelPreferences ? { model_preferences: params.modelPreferences } : {}),
    };
    const result = await llm.callInternal((client) =>
      client.request(
        {
          method: 'tools/call',
          params: {
            name: 'chat',
            arguments: args,
            _meta: { [CALLER_META_KEY]: { subject: caller.subject, scopes: caller.scopes } },
          },
        },
        CallToolResultSchema,
      ),
    );
    const structured = (result.structuredContent ?? {}) as {
      content?: unknown;
      model?: unknown;
      finish_reason?: unknown;
      error?: { message?: string };
    };
    if (result.isError) {
      throw new McpError(
        ErrorCode.InternalError,
        `sampling through the llm server failed: ${structured.error?.message ?? 'error'}`,
      );
    }
    return {
      role: 'assistant',
      content: { type: 'text', text: typeof structured.content === 'string' ? structured.content : '' },
      model: typeof structured.model === 'string' ? structured.model : 'plexus-llm',
      stopReason: structured.finish_reason === 'length' ? 'maxTokens' : 'endTurn',
    };
  };
}
