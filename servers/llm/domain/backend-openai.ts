import { BackendError, classifyThrown } from './errors.ts';
import { errorFromResponse } from './http-errors.ts';
import type {
  Backend,
  BackendChatResult,
  BackendEmbedResult,
  CallOptions,
  ChatMessage,
  ChatParams,
} from './types.ts';

export interface OpenAiBackendOptions {
  /** Base URL; `/v1` is added when the URL has no path (vLLM, llama.cpp, LM Studio all serve under /v1). */
  url: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
  now?: () => number;
}

interface StreamChunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** Any OpenAI-compatible chat/embeddings endpoint, through plain fetch (SSE streaming parsed here). */
export class OpenAiBackend implements Backend {
  readonly kind = 'openai';
  readonly url: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: OpenAiBackendOptions) {
    const url = new URL(options.url);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1';
    this.url = url.toString().replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.url}${path}`, {
        method,
        signal,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.#apiKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw classifyThrown(error);
    }
    if (!response.ok) throw await errorFromResponse(response, this.#now());
    return response;
  }

  async chat(model: string, params: ChatParams, options: CallOptions): Promise<BackendChatResult> {
    const response = await this.#request(
      'POST',
      '/chat/completions',
      {
        model,
        messages: params.messages.map(toOpenAiMessage),
        stream: true,
        stream_options: { include_usage: true },
        ...(params.tools?.length
          ? {
              tools: params.tools.map((t) => ({
                type: 'function',
                function: {
                  name: t.name,
                  ...(t.description ? { description: t.description } : {}),
                  parameters: t.parameters,
                },
              })),
            }
          : {}),
        ...(params.schema
          ? {
              response_format: {
                type: 'json_schema',
                json_schema: { name: 'answer', schema: params.schema },
              },
            }
          : {}),
        ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
        ...(params.max_tokens !== undefined ? { max_tokens: params.max_tokens } : {}),
        ...(params.stop?.length ? { stop: params.stop } : {}),
      },
      options.signal,
    );
    const result: BackendChatResult = {
      content: '',
      tool_calls: [],
      finish_reason: '',
      prompt_tokens: null,
      completion_tokens: null,
    };
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let first = true;
    let done = false;
    try {
      for await (const data of sseData(response)) {
        if (data === '[DONE]') {
          done = true;
          break;
        }
        const chunk = JSON.parse(data) as StreamChunk;
        if (chunk.error) throw new BackendError('overloaded', chunk.error.message ?? 'stream error');
        if (chunk.usage) {
          result.prompt_tokens = chunk.usage.prompt_tokens ?? null;
          result.completion_tokens = chunk.usage.completion_tokens ?? null;
        }
        for (const choice of chunk.choices ?? []) {
          const text = choice.delta?.content ?? '';
          const deltas = choice.delta?.tool_calls ?? [];
          if (first && (text || deltas.length)) {
            first = false;
            options.onFirstToken?.();
          }
          if (text) {
            result.content += text;
            options.onText?.(text);
          }
          for (const delta of deltas) {
            const index = delta.index ?? 0;
            const call = calls.get(index) ?? { id: delta.id ?? `call_${index}`, name: '', args: '' };
            if (delta.id) call.id = delta.id;
            if (delta.function?.name) call.name += delta.function.name;
            if (delta.function?.arguments) call.args += delta.function.arguments;
            calls.set(index, call);
          }
          if (choice.finish_reason) result.finish_reason = choice.finish_reason;
        }
      }
    } catch (error) {
      throw classifyThrown(error);
    }
    if (!done && !result.finish_reason) throw new BackendError('protocol', 'answer stream ended early');
    for (const call of [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c)) {
      let args: unknown;
      try {
        args = call.args ? JSON.parse(call.args) : {};
      } catch {
        throw new BackendError('protocol', `tool call ${call.name} has malformed JSON arguments`);
      }
      result.tool_calls.push({
        id: call.id,
        name: call.name,
        arguments: (args ?? {}) as Record<string, unknown>,
      });
    }
    result.finish_reason ||= 'stop';
    return result;
  }

  async embed(model: string, texts: string[], options: { signal: AbortSignal }): Promise<BackendEmbedResult> {
    const response = await this.#request('POST', '/embeddings', { model, input: texts }, options.signal);
    try {
      const body = (await response.json()) as {
        data: Array<{ index: number; embedding: number[] }>;
        usage?: { prompt_tokens?: number };
      };
      const vectors = [...body.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      return { vectors, prompt_tokens: body.usage?.prompt_tokens ?? null };
    } catch (error) {
      throw classifyThrown(error);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    const response = await this.#request('GET', '/models', undefined, signal);
    try {
      const body = (await response.json()) as { data?: Array<{ id: string }> };
      return (body.data ?? []).map((m) => m.id);
    } catch (error) {
      throw classifyThrown(error);
    }
  }
}

/** The `data:` payloads of a server-sent event stream. */
async function* sseData(response: Response): AsyncGenerator<string> {
  if (!response.body) throw new BackendError('protocol', 'response has no body');
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
  if (data.length) yield data.join('\n');
}

function toOpenAiMessage(m: ChatMessage): Record<string, unknown> {
  const content = m.images?.length
    ? [
        { type: 'text', text: m.content },
        ...m.images.map((image) => ({
          type: 'image_url',
          image_url: { url: `data:image/png;base64,${image}` },
        })),
      ]
    : m.content;
  return {
    role: m.role,
    content,
    ...(m.tool_calls?.length
      ? {
          tool_calls: m.tool_calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: JSON.stringify(c.arguments) },
          })),
        }
      : {}),
    ...(m.role === 'tool' && m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
    ...(m.role === 'tool' && m.name ? { name: m.name } : {}),
  };
}
