import { invalid } from '../../../lib/errors.ts';
import {
  BUILTIN_TASKS,
  type Deployment,
  type LlmSettings,
  type Strategy,
} from '../../../schemas/llm/settings.ts';
import { sameOllamaModel } from './backend-ollama.ts';

export type Kind = 'chat' | 'embed';

/** A deployment with its URL resolved (Ollama deployments default to the configured Ollama host). */
export type ResolvedDeployment = Deployment & { url: string };

export interface ChainLink {
  /** Group name, or a description of an ad-hoc selection (e.g. `model:llama3.2`). */
  group: string;
  strategy: Strategy;
  ids: string[];
}

export interface Target {
  task?: string | undefined;
  /** A group name, a deployment id, or a model name served by some deployments. */
  model?: string | undefined;
}

/**
 * Deployments, model groups and task types, resolved from settings. A request names a task or a model; the
 * table turns it into a chain of groups tried in order (the group, then its fallbacks, breadth first).
 */
export class RoutingTable {
  readonly deployments: ReadonlyMap<string, ResolvedDeployment>;
  readonly groups: ReadonlyMap<string, { ids: string[]; strategy: Strategy; fallbacks: string[] }>;
  readonly tasks: ReadonlyMap<string, string>;
  readonly defaultGroup: string | undefined;
  readonly #strategy: Strategy;

  constructor(settings: LlmSettings) {
    this.#strategy = settings.strategy;
    // No deployments declared: one Ollama chat model and one embedding model on the Ollama host.
    const declared: Deployment[] = settings.deployments ?? [
      defaultDeployment('ollama-chat', settings.default_models.chat, 'chat'),
      defaultDeployment('ollama-embed', settings.default_models.embed, 'embed'),
    ];
    this.deployments = new Map(declared.map((d) => [d.id, { ...d, url: d.url ?? settings.ollama_host }]));

    const groups = new Map<string, { ids: string[]; strategy: Strategy; fallbacks: string[] }>();
    if (settings.groups) {
      for (const [name, g] of Object.entries(settings.groups))
        groups.set(name, {
          ids: g.deployments,
          strategy: g.strategy ?? settings.strategy,
          fallbacks: g.fallbacks,
        });
    } else {
      // No groups declared: one group per kind, deployments in config order.
      for (const kind of ['chat', 'embed'] as const) {
        const ids = declared.filter((d) => d.kinds.includes(kind)).map((d) => d.id);
        if (ids.length) groups.set(kind, { ids, strategy: settings.strategy, fallbacks: [] });
      }
    }
    this.groups = groups;
    this.tasks = new Map(Object.entries(settings.tasks));
    this.defaultGroup = settings.default_group ?? (groups.has('chat') ? 'chat' : [...groups.keys()][0]);
  }

  /** Task names a request may use: the built-in ones plus those the config maps. */
  taskNames(): string[] {
    return [...new Set([...BUILTIN_TASKS, ...this.tasks.keys()])];
  }

  /** The group chain for a request, restricted to deployments that can do `kind`. */
  resolve(target: Target, kind: Kind): ChainLink[] {
    if (target.model !== undefined) return this.#filter(this.#byModel(target.model, kind), kind);
    const task = target.task ?? (kind === 'embed' ? 'embed' : 'chat');
    let group = this.tasks.get(task);
    if (group === undefined) {
      if (!(BUILTIN_TASKS as readonly string[]).includes(task))
        throw invalid(
          'task',
          `unknown task type '${task}'; known: ${this.taskNames().join(', ')}`,
          'unknown_task',
        );
      group = kind === 'embed' && this.groups.has('embed') ? 'embed' : this.defaultGroup;
    }
    if (group === undefined) return [];
    return this.#filter(this.#expand(group), kind);
  }

  /** Groups a deployment belongs to (for listings). */
  groupsOf(id: string): string[] {
    return [...this.groups].filter(([, g]) => g.ids.includes(id)).map(([name]) => name);
  }

  /** Every deployment of a kind (context-window fallback looks beyond the chain). */
  ofKind(kind: Kind): ResolvedDeployment[] {
    return [...this.deployments.values()].filter((d) => d.kinds.includes(kind));
  }

  #byModel(model: string, kind: Kind): ChainLink[] {
    if (this.groups.has(model)) return this.#expand(model);
    const deployment = this.deployments.get(model);
    if (deployment) return [{ group: `deployment:${model}`, strategy: 'priority', ids: [deployment.id] }];
    const serving = this.ofKind(kind).filter((d) =>
      d.backend === 'ollama' ? sameOllamaModel(d.model, model) : d.model === model,
    );
    if (!serving.length) {
      const known = [...this.groups.keys(), ...this.ofKind(kind).flatMap((d) => [d.id, d.model])];
      throw invalid(
        'model',
        `no ${kind} deployment or group named '${model}'; known: ${[...new Set(known)].join(', ')}`,
        'unknown_model',
      );
    }
    return [{ group: `model:${model}`, strategy: this.#strategy, ids: serving.map((d) => d.id) }];
  }

  #expand(start: string): ChainLink[] {
    const chain: ChainLink[] = [];
    const queue = [start];
    const seen = new Set<string>();
    while (queue.length) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const group = this.groups.get(name);
      if (!group) continue;
      chain.push({ group: name, strategy: group.strategy, ids: group.ids });
      queue.push(...group.fallbacks);
    }
    return chain;
  }

  #filter(chain: ChainLink[], kind: Kind): ChainLink[] {
    return chain
      .map((link) => ({
        ...link,
        ids: link.ids.filter((id) => this.deployments.get(id)?.kinds.includes(kind)),
      }))
      .filter((link) => link.ids.length > 0);
  }
}

/** A URL fit for listings and messages: without any user name or password in it. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

function defaultDeployment(id: string, model: string, kind: Kind): Deployment {
  return {
    id,
    backend: 'ollama',
    model,
    kinds: [kind],
    max_concurrency: 8,
    cost: 0,
    speed: 0.5,
    intelligence: 0.5,
    aliases: [],
  };
}
