import { Ollama } from 'ollama';
import { PlexusError } from '../errors.ts';
import { l2Normalize, type Embedder } from './embedder.ts';

export interface OllamaEmbedderOptions {
  /** Ollama base URL, e.g. http://127.0.0.1:11434. */
  host: string;
  model: string;
  /** Expected vector size; every response is checked against it. */
  dimension: number;
  /** Injected fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Texts per /api/embed request. */
  batchSize?: number;
}

/** Embeddings from an Ollama server's `/api/embed`, L2-normalized so scores compare with the lexical ones. */
export class OllamaEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  readonly semantic = true;
  readonly #client: Ollama;
  readonly #model: string;
  readonly #batchSize: number;
  readonly #host: string;

  constructor(options: OllamaEmbedderOptions) {
    if (!Number.isInteger(options.dimension) || options.dimension < 8 || options.dimension % 8 !== 0) {
      throw new RangeError(`dimension must be a multiple of 8, got ${options.dimension}`);
    }
    this.id = `ollama:${options.model}`;
    this.dimension = options.dimension;
    this.#model = options.model;
    this.#host = options.host;
    this.#batchSize = options.batchSize ?? 64;
    this.#client = new Ollama({ host: options.host, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.#batchSize) {
      const batch = texts.slice(i, i + this.#batchSize);
      let response: { embeddings: number[][] };
      try {
        response = await this.#client.embed({ model: this.#model, input: [...batch] });
      } catch (error) {
        throw new PlexusError(
          'unavailable',
          'embedder_unavailable',
          `Ollama at ${this.#host} failed to embed with ${this.#model}: ${error instanceof Error ? error.message : String(error)}`,
          { hint: 'start Ollama and pull the model, or configure the built-in lexical embedder' },
        );
      }
      if (response.embeddings.length !== batch.length) {
        throw new PlexusError(
          'unavailable',
          'embedder_bad_response',
          `Ollama returned ${response.embeddings.length} embeddings for ${batch.length} texts`,
        );
      }
      for (const e of response.embeddings) {
        if (e.length !== this.dimension) {
          throw new PlexusError(
            'unavailable',
            'embedder_dimension_mismatch',
            `${this.id} returned ${e.length} dimensions, configured ${this.dimension}`,
            { hint: 'set the embedder dimension to the model output size' },
          );
        }
        out.push(l2Normalize(Float32Array.from(e)));
      }
    }
    return out;
  }
}
