import { Ollama, type Message, type Tool } from 'ollama';
import { classifyThrown } from './errors.ts';
import { errorFromResponse } from './http-errors.ts';
import type {
  Backend,
  BackendChatResult,
  BackendEmbedResult,
  CallOptions,
  ChatMessage,
  ChatParams,
} from './types.ts';

export interface OllamaBackendOptions {
  url: string;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * An Ollama server through the `ollama` package. Every call gets its own client: a client's abort() cancels
 * every stream it has open, so sharing one would let one request's timeout kill its neighbours. The client's
 * fetch is wrapped to add our signal and to turn error responses into classified BackendErrors (with
 * Retry-After) before the package sees them.
 */
export class OllamaBackend implements Backend {
  readonly kind = 'ollama';
  readonly url: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: OllamaBackendOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /** A fresh client bound to `signal`. Exposed for the model manager (pull, show, preload…). */
  client(signal: AbortSignal): Ollama {
    const base = this.#fetch;
    const now = this.#now;
    const wrapped: typeof fetch = async (input, init) => {
      const signals = init?.signal ? [init.signal, signal] : [signal];
      const response = await base(input, { ...init, signal: AbortSignal.any(signals) });
      if (!response.ok) throw await errorFromResponse(response, now());
      return response;
    };
    return new Ollama({ host: this.url, fetch: wrapped });
  }

  async chat(model: string, params: ChatParams, options: CallOptions): Promise<BackendChatResult> {
    const client = this.client(options.signal);
    const result: BackendChatResult = {
      content: '',
      tool_calls: [],
      finish_reason: 'stop',
      prompt_tokens: null,
      completion_tokens: null,
    };
    let first = true;
    try {
      const stream = await client.chat({
        model,
        messages: params.messages.map(toOllamaMessage),
        stream: true,
        ...(params.tools?.length ? { tools: params.tools.map(toOllamaTool) } : {}),
        ...(params.schema ? { format: params.schema } : {}),
        options: {
          ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
          ...(params.max_tokens !== undefined ? { num_predict: params.max_tokens } : {}),
          ...(params.stop?.length ? { stop: params.stop } : {}),
        },
      });
      for await (const part of stream) {
        const text = part.message?.content ?? '';
        const calls = part.message?.tool_calls ?? [];
        if (first && (text || calls.length)) {
          first = false;
          options.onFirstToken?.();
        }
        if (text) {
          result.content += text;
          options.onText?.(text);
        }
        for (const call of calls) {
          result.tool_calls.push({
            id: `call_${result.tool_calls.length}`,
            name: call.function.name,
            arguments: call.function.arguments ?? {},
          });
        }
        if (part.done) {
          result.finish_reason = part.done_reason || 'stop';
          result.prompt_tokens = part.prompt_eval_count ?? null;
          result.completion_tokens = part.eval_count ?? null;
        }
      }
    } catch (error) {
      throw classifyThrown(error);
    }
    if (result.tool_calls.length && result.finish_reason === 'stop') result.finish_reason = 'tool_calls';
    return result;
  }

  async embed(model: string, texts: string[], options: { signal: AbortSignal }): Promise<BackendEmbedResult> {
    try {
      const response = await this.client(options.signal).embed({ model, input: texts });
      return { vectors: response.embeddings, prompt_tokens: response.prompt_eval_count ?? null };
    } catch (error) {
      throw classifyThrown(error);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const { models } = await this.client(signal).list();
      return models.map((m) => m.name);
    } catch (error) {
      throw classifyThrown(error);
    }
  }
}

/** Ollama names without a tag mean `:latest`. */
export function sameOllamaModel(a: string, b: string): boolean {
  const full = (name: string) => (name.includes(':') ? name : `${name}:latest`);
  return full(a) === full(b);
}

function toOllamaMessage(m: ChatMessage): Message {
  return {
    role: m.role,
    content: m.content,
    ...(m.images?.length ? { images: m.images } : {}),
    ...(m.tool_calls?.length
      ? { tool_calls: m.tool_calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
      : {}),
    ...(m.role === 'tool' && m.name ? { tool_name: m.name } : {}),
  };
}

function toOllamaTool(t: { name: string; description?: string | undefined; parameters: object }): Tool {
  return {
    type: 'function',
    function: {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.parameters,
    },
  };
}
