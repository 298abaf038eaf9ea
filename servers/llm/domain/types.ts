// The backend-neutral shapes the router works with. Tool inputs map onto these; backends map them onto
// their wire formats.

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: Role;
  content: string;
  /** Base64 images (multimodal models). */
  images?: string[] | undefined;
  /** On assistant messages: the calls the model made. */
  tool_calls?: ToolCall[] | undefined;
  /** On tool messages: the call this result answers, and the tool's name. */
  tool_call_id?: string | undefined;
  name?: string | undefined;
}

/** A function the model may call: name, description and a JSON Schema for the arguments. */
export interface FunctionTool {
  name: string;
  description?: string | undefined;
  parameters: Record<string, unknown>;
}

export interface ChatParams {
  messages: ChatMessage[];
  tools?: FunctionTool[] | undefined;
  /** JSON Schema the answer must follow (structured output). */
  schema?: Record<string, unknown> | undefined;
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  stop?: string[] | undefined;
}

export interface CallOptions {
  signal: AbortSignal;
  /** Called with each piece of answer text as it streams in. */
  onText?: ((delta: string) => void) | undefined;
  /** Called once, when the first token (text or tool call) arrives. */
  onFirstToken?: (() => void) | undefined;
}

export interface BackendChatResult {
  content: string;
  tool_calls: ToolCall[];
  finish_reason: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

export interface BackendEmbedResult {
  vectors: number[][];
  prompt_tokens: number | null;
}

/** One deployment's connection to its server. Failures are thrown as BackendError (see errors.ts). */
export interface Backend {
  readonly kind: 'ollama' | 'openai';
  /** Base URL, for messages and health listings (never includes credentials). */
  readonly url: string;
  chat(model: string, params: ChatParams, options: CallOptions): Promise<BackendChatResult>;
  embed(model: string, texts: string[], options: { signal: AbortSignal }): Promise<BackendEmbedResult>;
  /** The model names the server offers (health check). */
  listModels(signal: AbortSignal): Promise<string[]>;
}
