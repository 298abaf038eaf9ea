import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ChatInput, ChatOutput } from '../../../schemas/llm/tools.ts';
import { chatStructured } from '../domain/structured.ts';
import type { ChatParams } from '../domain/types.ts';
import type { LlmDeps } from '../deps.ts';
import { progressReporter } from './progress.ts';

export function toChatParams(input: ChatInput): ChatParams {
  return {
    messages: input.messages,
    ...(input.tools?.length
      ? {
          tools: input.tools.map((t) => ({
            name: t.name,
            description: t.description,
            parameters: t.input_schema ?? { type: 'object', properties: {} },
          })),
        }
      : {}),
    temperature: input.temperature,
    max_tokens: input.max_tokens,
    stop: input.stop,
  };
}

export function registerChat(server: McpServer, deps: LlmDeps): void {
  defineTool(server, deps, {
    name: 'chat',
    title: 'Chat with a model',
    description:
      'Send messages to a language model chosen by task type (chat, code, reasoning, summarize, plan, or configured ones), ' +
      'model, or MCP-style model_preferences. Supports function calling (tools), JSON-schema structured output ' +
      '(response_format, validated), and streams partial text as progress notifications when a progress token is sent. ' +
      'Reports the deployment that answered, latency and token counts.',
    scope: 'read',
    input: ChatInput,
    output: ChatOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    handler: async (input, { signal, mcp }) => {
      const report = progressReporter(mcp);
      let streamed = 0;
      const request = {
        task: input.task,
        model: input.model,
        preferences: input.model_preferences,
        timeout_ms: input.timeout_ms,
        signal: signal,
        params: toChatParams(input),
        ...(report
          ? {
              onText: (delta: string) => {
                streamed += delta.length;
                report(streamed, delta);
              },
              // Progress only grows, so a restart is announced rather than rewound.
              onRestart: (deployment: string) => {
                streamed += 1;
                report(streamed, `\n[the answer restarts on deployment ${deployment} after a failure]\n`);
              },
            }
          : {}),
      };
      const outcome = input.response_format
        ? await chatStructured(deps.router, request, input.response_format.schema, {
            attempts: deps.router.settings.structured_attempts,
            field: 'response_format.schema',
          })
        : await deps.router.chat(request);
      const structured = {
        content: outcome.content,
        tool_calls: outcome.tool_calls,
        ...('structured' in outcome ? { structured: outcome.structured } : {}),
        finish_reason: outcome.finish_reason,
        deployment: outcome.deployment,
        backend: outcome.backend,
        model: outcome.model,
        latency_ms: outcome.latency_ms,
        ttft_ms: outcome.ttft_ms,
        prompt_tokens: outcome.prompt_tokens,
        completion_tokens: outcome.completion_tokens,
        attempts: outcome.attempts,
      };
      const calls = outcome.tool_calls.length
        ? ` [tool calls: ${outcome.tool_calls.map((c) => c.name).join(', ')}]`
        : '';
      return { structured, text: `${outcome.content}${calls}` };
    },
  });
}
