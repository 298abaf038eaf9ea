import { invalid, PlexusError } from '../../../lib/errors.ts';
import { OllamaBackend } from './backend-ollama.ts';
import { classifyThrown } from './errors.ts';
import type { RoutingTable } from './routing-table.ts';

export interface OllamaHost {
  url: string;
  deployments: string[];
}

export interface PullProgress {
  status: string;
  completed: number | null;
  total: number | null;
}

/** Operator actions on the Ollama servers behind the deployments: list, show, pull, preload, unload. */
export class OllamaManager {
  readonly #table: RoutingTable;
  readonly #fetch: typeof fetch | undefined;

  constructor(table: RoutingTable, options: { fetch?: typeof fetch } = {}) {
    this.#table = table;
    this.#fetch = options.fetch;
  }

  hosts(): OllamaHost[] {
    const byUrl = new Map<string, string[]>();
    for (const d of this.#table.deployments.values())
      if (d.backend === 'ollama') byUrl.set(d.url, [...(byUrl.get(d.url) ?? []), d.id]);
    return [...byUrl].map(([url, deployments]) => ({ url, deployments }));
  }

  /** A host named by deployment id or URL; without a name, the only Ollama host there is. */
  host(name: string | undefined): OllamaHost {
    const hosts = this.hosts();
    if (!hosts.length)
      throw new PlexusError('not_found', 'no_ollama_host', 'no Ollama deployment is configured');
    if (name === undefined) {
      if (hosts.length > 1)
        throw invalid(
          'host',
          `several Ollama hosts are configured; name one of ${hosts.map((h) => h.url).join(', ')}`,
        );
      return hosts[0] as OllamaHost;
    }
    const found = hosts.find((h) => h.url === name.replace(/\/+$/, '') || h.deployments.includes(name));
    if (!found)
      throw invalid(
        'host',
        `no Ollama host '${name}'; known: ${hosts.map((h) => `${h.url} (${h.deployments.join(', ')})`).join('; ')}`,
      );
    return found;
  }

  client(host: OllamaHost, signal: AbortSignal) {
    return new OllamaBackend({ url: host.url, ...(this.#fetch ? { fetch: this.#fetch } : {}) }).client(
      signal,
    );
  }

  async list(host: OllamaHost, signal: AbortSignal) {
    const client = this.client(host, signal);
    try {
      const [{ models }, { models: running }] = await Promise.all([client.list(), client.ps()]);
      const loaded = new Map(running.map((m) => [m.name, m.expires_at]));
      return models.map((m) => ({
        name: m.name,
        size: m.size,
        digest: m.digest,
        family: m.details?.family ?? null,
        parameter_size: m.details?.parameter_size ?? null,
        quantization: m.details?.quantization_level ?? null,
        loaded: loaded.has(m.name),
        expires_at: loaded.has(m.name) ? new Date(loaded.get(m.name) as Date).toISOString() : null,
      }));
    } catch (error) {
      throw this.#failed(host, error);
    }
  }

  async show(host: OllamaHost, model: string, signal: AbortSignal) {
    try {
      const info = await this.client(host, signal).show({ model });
      const modelInfo = (info.model_info ?? {}) as unknown as Record<string, unknown>;
      const context = Object.entries(modelInfo).find(([key]) => key.endsWith('.context_length'))?.[1];
      return {
        url: host.url,
        model,
        family: info.details?.family ?? null,
        parameter_size: info.details?.parameter_size ?? null,
        quantization: info.details?.quantization_level ?? null,
        context_length: typeof context === 'number' ? context : null,
        capabilities: info.capabilities ?? [],
        parameters: info.parameters ?? '',
        template: info.template ?? '',
      };
    } catch (error) {
      throw this.#failed(host, error, model);
    }
  }

  async pull(host: OllamaHost, model: string, signal: AbortSignal, onProgress: (p: PullProgress) => void) {
    let last: PullProgress = { status: 'starting', completed: null, total: null };
    let total: number | null = null;
    try {
      const stream = await this.client(host, signal).pull({ model, stream: true });
      for await (const part of stream) {
        last = { status: part.status, completed: part.completed ?? null, total: part.total ?? null };
        if (part.total) total = Math.max(total ?? 0, part.total);
        onProgress(last);
      }
    } catch (error) {
      throw this.#failed(host, error, model);
    }
    return { status: last.status, total_bytes: total };
  }

  /** Loads a model into memory (keep_alive as given), or unloads it with keep_alive 0. */
  async load(host: OllamaHost, model: string, keepAlive: string | number, signal: AbortSignal) {
    try {
      const response = await this.client(host, signal).generate({
        model,
        prompt: '',
        keep_alive: keepAlive,
        stream: false,
      });
      return { done_reason: response.done_reason ?? (keepAlive === 0 ? 'unload' : 'load') };
    } catch (error) {
      throw this.#failed(host, error, model);
    }
  }

  #failed(host: OllamaHost, error: unknown, model?: string): PlexusError {
    const e = classifyThrown(error);
    if (e.failure === 'model_missing')
      return new PlexusError('not_found', 'model_not_found', `${host.url}: ${e.message}`, {
        hint: `pull it first (pull_ollama_model {"model": "${model ?? '…'}"})`,
      });
    if (e.failure === 'unreachable')
      return new PlexusError(
        'unavailable',
        'ollama_unreachable',
        `Ollama at ${host.url} is not reachable: ${e.message}`,
        {
          hint: 'start it with `ollama serve`, or fix OLLAMA_HOST / the deployment url',
        },
      );
    return new PlexusError('unavailable', 'ollama_failed', `Ollama at ${host.url}: ${e.message}`);
  }
}
