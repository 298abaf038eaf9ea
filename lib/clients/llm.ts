import { ChatInput, ChatOutput } from '../../schemas/llm/tools.ts';
import { contract, defineClient } from './typed-client.ts';

/** The llm server's tools other Plexus parts call (the hub's sampling bridge, the agent loop). */
export const llmClient = defineClient('llm', {
  chat: contract('chat', ChatInput, ChatOutput),
});

export type LlmClient = ReturnType<typeof llmClient>;
