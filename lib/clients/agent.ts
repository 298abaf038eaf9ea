import { AskInput, AskOutput, DeliverMessageInput, DeliverMessageOutput } from '../../schemas/p2p.ts';
import { contract, defineClient } from './typed-client.ts';

/** An agent's own endpoint (P2P), as other agents call it. */
export const agentClient = defineClient('agent', {
  deliverMessage: contract('deliver_message', DeliverMessageInput, DeliverMessageOutput),
  ask: contract('ask', AskInput, AskOutput),
});

export type AgentClient = ReturnType<typeof agentClient>;
