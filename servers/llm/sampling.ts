// The sampling bridge: how the hub answers MCP `sampling/createMessage` from an upstream server through the
// llm server's `chat` tool. Pure functions: sampling params → `chat` arguments (modelPreferences become
// `model_preferences`, which the router maps onto deployments: hints by name, then cost/speed/intelligence
// scores), and the `chat` result → CreateMessageResult.
import type {
  CreateMessageRequest,
  CreateMessageResult,
  CreateMessageResultWithTools,
  SamplingMessage,
} from '@modelcontextprotocol/server';
import { invalid } from '../../lib/errors.ts';
import type { ChatInput, ChatOutput } from '../../schemas/llm/tools.ts';

type Params = CreateMessageRequest['params'];
type Block = Extract<SamplingMessage['content'], readonly unknown[]>[number];
type ChatMessage = ChatInput['messages'][number];

export interface SamplingBridgeOptions {
  /** Task type for sampling requests (default: chat). */
  task?: string;
  timeout_ms?: number;
}

/** `sampling/createMessage` params → arguments for the llm server's `chat` tool. */
export function chatArgumentsFromSampling(params: Params, options: SamplingBridgeOptions = {}): ChatInput {
  const messages: ChatMessage[] = [];
  if (params.systemPrompt) messages.push({ role: 'system', content: params.systemPrompt });
  for (const [i, message] of params.messages.entries()) messages.push(...fromSamplingMessage(message, i));
  const tools = params.toolChoice?.mode === 'none' ? [] : (params.tools ?? []);
  return {
    messages,
    ...(options.task ? { task: options.task } : {}),
    ...(options.timeout_ms ? { timeout_ms: options.timeout_ms } : {}),
    max_tokens: params.maxTokens,
    ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
    ...(params.stopSequences?.length ? { stop: params.stopSequences } : {}),
    ...(params.modelPreferences ? { model_preferences: params.modelPreferences } : {}),
    ...(tools.length
      ? {
          tools: tools.map((t) => ({
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            input_schema: t.inputSchema,
          })),
        }
      : {}),
  };
}

function fromSamplingMessage(message: SamplingMessage, index: number): ChatMessage[] {
  const blocks: Block[] = Array.isArray(message.content) ? message.content : [message.content];
  const text: string[] = [];
  const images: string[] = [];
  const calls: NonNullable<ChatMessage['tool_calls']> = [];
  const results: ChatMessage[] = [];
  for (const [j, block] of blocks.entries()) {
    switch (block.type) {
      case 'text':
        text.push(block.text);
        break;
      case 'image':
        images.push(block.data);
        break;
      case 'tool_use':
        calls.push({ id: block.id, name: block.name, arguments: block.input });
        break;
      case 'tool_result': {
        const body = block.content.map((c) => (c.type === 'text' ? c.text : JSON.stringify(c))).join('\n');
        const content = body || (block.structuredContent ? JSON.stringify(block.structuredContent) : '');
        results.push({
          role: 'tool',
          tool_call_id: block.toolUseId,
          content: block.isError ? `error: ${content}` : content,
        });
        break;
      }
      default:
        throw invalid(
          `messages.${index}.content.${j}`,
          `${block.type} content is not supported by the llm router`,
        );
    }
  }
  const own: ChatMessage[] =
    text.length || images.length || calls.length
      ? [
          {
            role: message.role,
            content: text.join('\n'),
            ...(images.length ? { images } : {}),
            ...(calls.length ? { tool_calls: calls } : {}),
          },
        ]
      : [];
  return [...results, ...own];
}

const STOP_REASONS: Record<string, string> = { stop: 'endTurn', length: 'maxTokens', tool_calls: 'toolUse' };

/**
 * The `chat` tool's structured result → a CreateMessageResult. With `withTools` (the request offered
 * tools), tool calls come back as `tool_use` blocks; otherwise the answer is one text block.
 */
export function samplingResultFromChat(
  out: Pick<ChatOutput, 'content' | 'tool_calls' | 'finish_reason' | 'model'>,
  options: { withTools?: boolean } = {},
): CreateMessageResult | CreateMessageResultWithTools {
  const stopReason = STOP_REASONS[out.finish_reason] ?? out.finish_reason;
  const text = { type: 'text' as const, text: out.content };
  if (options.withTools && out.tool_calls.length) {
    return {
      model: out.model,
      role: 'assistant',
      stopReason: 'toolUse',
      content: [
        ...(out.content ? [text] : []),
        ...out.tool_calls.map((c) => ({
          type: 'tool_use' as const,
          id: c.id,
          name: c.name,
          input: c.arguments,
        })),
      ],
    };
  }
  return {
    model: out.model,
    role: 'assistant',
    stopReason: stopReason === 'toolUse' ? 'endTurn' : stopReason,
    content: text,
  };
}
