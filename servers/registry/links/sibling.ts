import type { Client } from '@modelcontextprotocol/client';
import { PlexusError } from '../../../lib/errors.ts';
import type { Logger } from '../../../lib/log.ts';
import { CALLER_META_KEY } from '../../../lib/mcp/caller.ts';
import { toolErrorOf } from '../../../lib/mcp/result.ts';

/** A tool error a sibling answered with (`isError` and its code). */
export class SiblingToolError extends PlexusError {
  constructor(sibling: string, tool: string, code: string, message: string) {
    super('unavailable', code, `${sibling} ${tool}: ${message}`);
  }
}

/**
 * A lazily connected link to a sibling server through `ctx.connect`. A sibling that is not in the
 * composition (or cannot be reached) makes `call` answer null; the link tries again after `retryMs`.
 */
export class SiblingLink {
  readonly #name: string;
  readonly #connect: () => Promise<Client>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #retryMs: number;
  #client: Promise<Client | null> | null = null;
  #failedAt = -Infinity;

  constructor(options: {
    name: string;
    connect: () => Promise<Client>;
    log: Logger;
    now: () => number;
    retryMs?: number;
  }) {
    this.#name = options.name;
    this.#connect = options.connect;
    this.#log = options.log;
    this.#now = options.now;
    this.#retryMs = options.retryMs ?? 30_000;
  }

  /**
   * Calls `tool` on the sibling, acting for `caller` when given. Null when the sibling is absent; throws
   * SiblingToolError when it answers with a tool error.
   */
  async call(
    tool: string,
    args: Record<string, unknown>,
    caller?: { subject: string; scopes: string[] },
  ): Promise<Record<string, unknown> | null> {
    const client = await this.#client_();
    if (!client) return null;
    const result = await client.callTool({
      name: tool,
      arguments: args,
      ...(caller ? { _meta: { [CALLER_META_KEY]: caller } } : {}),
    });
    const error = toolErrorOf(result);
    if (error) throw new SiblingToolError(this.#name, tool, error.code, error.message);
    return (result.structuredContent ?? {}) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => null);
    this.#client = null;
    await client?.close();
  }

  #client_(): Promise<Client | null> {
    if (this.#client) return this.#client;
    if (this.#now() - this.#failedAt < this.#retryMs) return Promise.resolve(null);
    this.#client = this.#connect().then(
      (client) => {
        client.onclose = () => {
          this.#client = null;
        };
        return client;
      },
      (error: unknown) => {
        this.#log.info({ sibling: this.#name, err: error }, 'sibling not reachable; continuing without it');
        this.#failedAt = this.#now();
        this.#client = null;
        return null;
      },
    );
    return this.#client;
  }
}
