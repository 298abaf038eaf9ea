import { watch, type FSWatcher } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { invalid } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { loadToolsDir, type LoadedTool, type LoadFailure, type LoadOptions } from './loader.ts';

/** Names the sandbox server uses for its own tools; a package may not take them. */
export const RESERVED_TOOL_NAMES = ['get_sandbox_stats'];

export interface ToolStats {
  calls: number;
  ok: number;
  errors: Record<string, number>;
  coldStarts: number;
  totalWallMs: number;
  maxWallMs: number;
  /** Wall times of the most recent calls (the server keeps a bounded number), for the quantiles. */
  recentWallMs: number[];
  lastCallAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
}

export interface RegisteredSandboxTool extends LoadedTool {
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction;
}

function emptyStats(): ToolStats {
  return {
    calls: 0,
    ok: 0,
    errors: {},
    coldStarts: 0,
    totalWallMs: 0,
    maxWallMs: 0,
    recentWallMs: [],
    lastCallAt: null,
    lastError: null,
  };
}

/** `a.b.0`: the instance path of an Ajv error as a field name, with the missing property for `required`. */
export function ajvField(root: string, error: ErrorObject): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required')
    parts.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'additionalProperties') {
    parts.push(String((error.params as { additionalProperty: string }).additionalProperty));
  }
  return [root, ...parts].filter(Boolean).join('.') || root;
}

/** Throws `invalid(field, …)` when `value` fails `validate`. */
export function checkAgainst(validate: ValidateFunction, value: unknown, root: string): void {
  if (validate(value)) return;
  const error = validate.errors?.[0];
  if (!error) throw invalid(root, 'does not match the schema');
  const message =
    error.keyword === 'additionalProperties' ? 'unknown field' : (error.message ?? 'is invalid');
  throw invalid(ajvField(root, error), message);
}

/**
 * The loaded tools of one folder, kept current: reloads (debounced) when anything under the folder changes,
 * and keeps per-tool call statistics across reloads.
 */
export class ToolRegistry {
  readonly #dir: string;
  readonly #options: LoadOptions;
  readonly #log: Logger;
  readonly #debounceMs: number;
  readonly #ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: true });
  readonly #listeners = new Set<() => void>();
  readonly #stats = new Map<string, ToolStats>();
  #tools = new Map<string, RegisteredSandboxTool>();
  #failures: LoadFailure[] = [];
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #loading: Promise<void> = Promise.resolve();
  #generation = 0;

  constructor(dir: string, options: LoadOptions & { log: Logger; debounceMs: number }) {
    this.#dir = dir;
    this.#options = options;
    this.#log = options.log;
    this.#debounceMs = options.debounceMs;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Loaded tools by name. */
  tools(): ReadonlyMap<string, RegisteredSandboxTool> {
    return this.#tools;
  }

  failures(): readonly LoadFailure[] {
    return this.#failures;
  }

  /** Increases with every reload that changed something. */
  get generation(): number {
    return this.#generation;
  }

  stats(name: string): ToolStats {
    let stats = this.#stats.get(name);
    if (!stats) this.#stats.set(name, (stats = emptyStats()));
    return stats;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads the folder now (serialised with any reload in progress). */
  reload(): Promise<void> {
    this.#loading = this.#loading
      .then(() => this.#load())
      .catch((error: unknown) => {
        this.#log.error({ err: error, dir: this.#dir }, 'sandbox tools reload failed');
      });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const { tools, failures } = await loadToolsDir(this.#dir, this.#options);
    const next = new Map<string, RegisteredSandboxTool>();
    for (const [name, tool] of tools) {
      if (RESERVED_TOOL_NAMES.includes(name)) {
        failures.push({
          dir: tool.dir,
          code: 'reserved_name',
          message: `'${name}' is a sandbox server tool name`,
        });
        continue;
      }
      try {
        // Reuse compiled validators of an unchanged tool.
        const previous = this.#tools.get(name);
        const same = previous?.code.key === tool.code.key;
        next.set(name, {
          ...tool,
          validateInput: same ? previous.validateInput : this.#ajv.compile(tool.manifest.inputSchema),
          validateOutput: same ? previous.validateOutput : this.#ajv.compile(tool.manifest.outputSchema),
        });
      } catch (error) {
        failures.push({
          dir: tool.dir,
          code: 'schema_invalid',
          message: `${name}: ${(error as Error).message}`,
        });
      }
    }
    const changed =
      next.size !== this.#tools.size ||
      [...next].some(([name, tool]) => this.#tools.get(name)?.code.key !== tool.code.key) ||
      JSON.stringify(failures) !== JSON.stringify(this.#failures);
    this.#tools = next;
    this.#failures = failures;
    if (!changed) return;
    this.#generation++;
    this.#log.info(
      { dir: this.#dir, tools: [...next.keys()], failures: failures.map((f) => `${f.dir}: ${f.code}`) },
      'sandbox tools loaded',
    );
    for (const listener of this.#listeners) listener();
  }

  /** Starts watching the folder; changes reload it after the debounce. */
  watch(): void {
    if (this.#watcher) return;
    this.#watcher = watch(this.#dir, { recursive: true, persistent: false }, () => this.#schedule());
    this.#watcher.on('error', (error) =>
      this.#log.warn({ err: error, dir: this.#dir }, 'sandbox tools watch failed'),
    );
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.reload();
    }, this.#debounceMs);
  }

  async close(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#loading;
  }
}
