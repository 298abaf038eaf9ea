import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolInfo } from '../brain.ts';

/** A function the model may call, in the llm server's `chat` format. */
export interface FunctionTool {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
}

/** The `chat` tool takes at most this many functions. */
export const MAX_FUNCTIONS = 128;
const NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,64}$/;
const MAX_DESCRIPTION = 4000;
/** Tool output handed back to the model; longer output is cut (the model sees that it was). */
const MAX_RESULT_CHARS = 16_000;

/**
 * MCP tool listings → chat functions: only allowed tools with names the chat API accepts, local tools
 * before hub tools when there are more than the API takes.
 */
export function toFunctionTools(
  tools: readonly ToolInfo[],
  allowed: (name: string) => boolean,
): FunctionTool[] {
  const usable = tools.filter((tool) => NAME_PATTERN.test(tool.name) && allowed(tool.name));
  const local = usable.filter((tool) => !tool.name.startsWith('hub__'));
  const hub = usable.filter((tool) => tool.name.startsWith('hub__'));
  return [...local, ...hub].slice(0, MAX_FUNCTIONS).map((tool) => {
    const description = tool.description ?? tool.title ?? tool.annotations?.title;
    return {
      name: tool.name,
      ...(description ? { description: description.slice(0, MAX_DESCRIPTION) } : {}),
      input_schema: tool.inputSchema,
    };
  });
}

/** A tool result as text for the model and the episode log. */
export function resultText(result: CallToolResult): string {
  const parts = result.content.map((item) => {
    if (item.type === 'text') return item.text;
    if (item.type === 'resource')
      return 'text' in item.resource ? item.resource.text : `[${item.resource.uri}]`;
    if (item.type === 'resource_link') return `[${item.uri}]`;
    return `[${item.type} content]`;
  });
  let text = parts.join('\n');
  if (!text && result.structuredContent) text = JSON.stringify(result.structuredContent);
  if (text.length > MAX_RESULT_CHARS) {
    text = `${text.slice(0, MAX_RESULT_CHARS)}\n[… ${text.length - MAX_RESULT_CHARS} more characters cut]`;
  }
  return text;
}
