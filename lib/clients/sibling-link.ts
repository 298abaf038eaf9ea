import type { Client } from '@modelcontextprotocol/client';
import type { ToolCaller } from './call-tool.ts';
import type { Logger } from '../log.ts';

interface Connected<C> {
  sdk: Client;
  typed: C;
}

/**
 * A lazily connected link to a sibling server through `ctx.connect`, handing out the sibling's typed client
 * (lib/clients/). A sibling that is not in the composition (or cannot be reached) makes `client` answer
 * null; the link tries again after `retryMs`.
 */
export class SiblingLink<C> {
  readonly #name: string;
  readonly #connect: () => Promise<Client>;
  readonly #typed: (caller: ToolCaller) => C;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #retryMs: number;
  #connected: Promise<Connected<C> | null> | null = null;
  #failedAt = -Infinity;

  constructor(options: {
    name: string;
    connect: () => Promise<Client>;
    typed: (caller: ToolCaller) => C;
    log: Logger;
    now: () => number;
    retryMs?: number;
  }) {
    this.#name = options.name;
    this.#connect = options.connect;
    this.#typed = options.typed;
    this.#log = options.log;
    this.#now = options.now;
    this.#retryMs = options.retryMs ?? 30_000;
  }

  /** The sibling's typed client; null when the sibling is absent or unreachable right now. */
  async client(): Promise<C | null> {
    return (await this.#connection())?.typed ?? null;
  }

  async close(): Promise<void> {
    const connected = await this.#connected?.catch(() => null);
    this.#connected = null;
    await connected?.sdk.close();
  }

  #connection(): Promise<Connected<C> | null> {
    if (this.#connected) return this.#connected;
    if (this.#now() - this.#failedAt < this.#retryMs) return Promise.resolve(null);
    this.#connected = this.#connect().then(
      (sdk) => {
        sdk.onclose = () => {
          this.#connected = null;
        };
        return { sdk, typed: this.#typed(sdk) };
      },
      (error: unknown) => {
        this.#log.info({ sibling: this.#name, err: error }, 'sibling not reachable; continuing without it');
        this.#failedAt = this.#now();
        this.#connected = null;
        return null;
      },
    );
    return this.#connected;
  }
}
