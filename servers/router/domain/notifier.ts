/**
 * Tells live sessions that something changed ("mail for did X", "new events"). The router publishes after
 * it stores; each MCP session subscribes for the resources its client subscribed to. In one process the
 * in-memory notifier is enough; several router replicas back the same interface with Redis pub/sub.
 */
export interface Notifier {
  /**
   * Whether a listener is live as soon as `subscribe` is called (in one process), so that listening before a
   * read costs nothing; false when going live takes a round trip (Redis).
   */
  readonly liveAtOnce: boolean;
  publish(channel: string): Promise<void>;
  /** Resolves once the listener is live (nothing published after that is missed) with its remover. */
  subscribe(channel: string, listener: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export const inboxChannel = (did: string): string => `inbox:${did}`;
export const EVENTS_CHANNEL = 'events';

export class InProcessNotifier implements Notifier {
  readonly liveAtOnce = true;
  readonly #listeners = new Map<string, Set<() => void>>();

  publish(channel: string): Promise<void> {
    for (const listener of this.#listeners.get(channel) ?? []) listener();
    return Promise.resolve();
  }

  subscribe(channel: string, listener: () => void): Promise<() => void> {
    let set = this.#listeners.get(channel);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
    }
    set.add(listener);
    return Promise.resolve(() => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(channel) === set) this.#listeners.delete(channel);
    });
  }

  /** Live listeners on a channel (for tests and metrics). */
  listenerCount(channel: string): number {
    return this.#listeners.get(channel)?.size ?? 0;
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }
}
