import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CreateMessageRequest, CreateMessageResult } from '@modelcontextprotocol/server';
import { CALLER_META_KEY, type Caller } from '../lib/mcp/caller.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';
import type { ChatOutput } from '../schemas/llm/tools.ts';
import { chatArgumentsFromSampling, samplingResultFromChat } from '../servers/llm/sampling.ts';
import type { Sampler } from './aggregate/aggregator.ts';
import type { Upstream } from './upstream/upstream.ts';

/**
 * Answers an upstream's `sampling/createMessage` with the llm server's `chat` tool, for clients that cannot
 * sample themselves. The call is made for the client that caused the request, so the llm server sees (and
 * limits) that caller.
 */
export function llmSampler(llm: Upstream): Sampler {
  return async (params: CreateMessageRequest['params'], caller: Caller): Promise<CreateMessageResult> => {
    const result = await llm.callInternal((client) =>
      client.request({
        method: 'tools/call',
        params: {
          name: 'chat',
          arguments: chatArgumentsFromSampling(params),
          _meta: { [CALLER_META_KEY]: { subject: caller.subject, scopes: caller.scopes } },
        },
      }),
    );
    const failure = toolErrorOf(result);
    if (failure) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `sampling through the llm server failed: ${failure.message}`,
        {
          code: failure.code,
        },
      );
    }
    const out = result.structuredContent as ChatOutput;
    return samplingResultFromChat(out) as CreateMessageResult;
  };
}
