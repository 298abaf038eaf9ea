import { z } from 'zod';
import { EnvelopeArgument } from './router/tools.ts';

/**
 * The tools of an agent's own MCP endpoint (P2P). Peers authenticate per request with a client assertion
 * signed by their DID (audience = the endpoint URL); every envelope is also signed by its sender, who must be
 * the authenticated peer.
 */
export const DeliverMessageInput = z.object({ envelope: EnvelopeArgument });
export const DeliverMessageOutput = z.object({
  id: z.string(),
  /** stored: new and kept; duplicate: this id had already arrived (directly or through the hub). */
  status: z.enum(['stored', 'duplicate']),
});

export const AskInput = z.object({
  envelope: EnvelopeArgument.describe('A signed `chat/message` envelope sealed to this agent: the question'),
});
export const AskOutput = z.object({
  /** The answer: a signed `chat/message` envelope sealed to the asker. */
  envelope: z.record(z.string(), z.unknown()),
});
