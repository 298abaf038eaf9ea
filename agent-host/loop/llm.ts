import type { ToolCaller } from '../../lib/clients/call-tool.ts';
import { ToolError } from '../../lib/clients/errors.ts';
import { llmClient } from '../../lib/clients/llm.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { ChatInput, ChatOutput } from '../../schemas/llm/tools.ts';

/**
 * Router answers that mean "there is no model to ask", as opposed to a model that failed; `unknown_tool`: the
 * hub runs no llm server at all.
 */
const NO_LLM_CODES = new Set([
  'llm_unavailable',
  'no_deployment',
  'cooling_down',
  'model_missing',
  'unknown_tool',
]);

export type ChatMessage = ChatInput['messages'][number];

/**
 * Calls the llm router's `chat` through the hub (`llm__chat`); throws PlexusError `no_llm` when no model can be
 * reached and `llm_failed` when the model failed. An abort, an unreachable hub or a malformed answer is
 * thrown as it came.
 */
export async function chat(hub: ToolCaller, input: ChatInput, signal: AbortSignal): Promise<ChatOutput> {
  try {
    return await llmClient(hub, { prefix: 'llm__' }).chat(input, {
      signal,
      // The loop's own budget bounds the call; the SDK's 60 s default must not cut it shorter.
      timeout: input.timeout_ms ?? 60_000,
    });
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    if (NO_LLM_CODES.has(error.code))
      throw new PlexusError('unavailable', 'no_llm', `no LLM available: ${error.message}`, {
        ...(error.hint ? { hint: error.hint } : {}),
      });
    throw new PlexusError('unavailable', 'llm_failed', `the LLM call failed: ${error.message}`);
  }
}
