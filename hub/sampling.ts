import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CreateMessageRequest, CreateMessageResult } from '@modelcontextprotocol/server';
import { leasedCaller } from '../lib/clients/call-tool.ts';
import { llmClient } from '../lib/clients/llm.ts';
import { PlexusError } from '../lib/errors.ts';
import type { Caller } from '../lib/mcp/caller.ts';
import { chatArgumentsFromSampling, samplingResultFromChat } from '../servers/llm/sampling.ts';
import type { Sampler } from './aggregate/aggregator.ts';
import type { Upstream } from './upstream/upstream.ts';

/**
 * Answers an upstream's `sampling/createMessage` with the llm server's `chat` tool, for clients that cannot
 * sample themselves. The call is made for the client that caused the request, so the llm server sees (and
 * limits) that caller.
 */
export function llmSampler(llm: Upstream): Sampler {
  const client = llmClient(leasedCaller((use) => llm.callInternal(use)));
  return async (params: CreateMessageRequest['params'], caller: Caller): Promise<CreateMessageResult> => {
    try {
      const out = await client.chat(chatArgumentsFromSampling(params), { caller });
      return samplingResultFromChat(out) as CreateMessageResult;
    } catch (error) {
      if (!(error instanceof PlexusError)) throw error;
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `sampling through the llm server failed: ${error.message}`,
        { code: error.code },
      );
    }
  };
}
