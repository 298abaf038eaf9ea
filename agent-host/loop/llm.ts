import type { Client } from '@modelcontextprotocol/client';
import { PlexusError } from '../../lib/errors.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { ChatOutput, type ChatInput } from '../../schemas/llm/tools.ts';

/** The llm router's chat tool as the hub names it. */
export const CHAT_TOOL = 'llm__chat';

/** Router answers that mean "there is no model to ask", as opposed to a model that failed. */
const NO_LLM_CODES = new Set(['llm_unavailable', 'no_deployment', 'cooling_down', 'model_missing']);

export type ChatMessage = ChatInput['messages'][number];

/** Calls `llm__chat` through the hub; throws PlexusError `no_llm` when no model can be reached. */
export async function chat(hub: Client, input: ChatInput, signal: AbortSignal): Promise<ChatOutput> {
  let result;
  try {
    result = await hub.callTool(
      { name: CHAT_TOOL, arguments: input },
      {
        signal,
        // The loop's own budget bounds the call; the SDK's 60 s default must not cut it shorter.
        timeout: input.timeout_ms ?? 60_000,
      },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    const message = (error as Error).message;
    // A hub without the llm server does not know the tool.
    if (/not found|unknown tool/i.test(message))
      throw new PlexusError('unavailable', 'no_llm', `no LLM available: the hub has no ${CHAT_TOOL} tool`);
    throw error;
  }
  const failure = toolErrorOf(result);
  if (failure) {
    if (NO_LLM_CODES.has(failure.code) || /unknown tool|not found/i.test(failure.message))
      throw new PlexusError('unavailable', 'no_llm', `no LLM available: ${failure.message}`, {
        ...(failure.hint ? { hint: failure.hint } : {}),
      });
    throw new PlexusError('unavailable', 'llm_failed', `the LLM call failed: ${failure.message}`);
  }
  return ChatOutput.parse(result.structuredContent);
}
