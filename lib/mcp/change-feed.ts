import type { Caller } from './caller.ts';

export type ListKind = 'tools' | 'prompts' | 'resources';

/**
 * What a component tells listeners about its own changes: list changes for everyone, and updates of single
 * resources for callers allowed to watch them. `subscriptions/listen` streams (MCP 2026-07-28) are fed from
 * here on every transport, so a change reaches a modern client whichever per-request server instance made it.
 */
export interface ChangeFeed {
  /** The lists this component announces changes of. */
  readonly lists: readonly ListKind[];
  /** Whether single resources can be watched (`resourceSubscriptions`). */
  readonly resources: boolean;
  onListChanged(listener: (kind: ListKind) => void): () => void;
  /**
   * Watches one resource for `caller`, after checking the caller may; resolves with the function that stops
   * watching. Rejects with a ProtocolError naming why when the caller may not watch it.
   */
  watchResource(uri: string, caller: Caller, onUpdated: () => void): Promise<() => void>;
}

/** A set of listeners: the small fan-out the feeds are built from. */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.#listeners]) listener(value);
  }

  get size(): number {
    return this.#listeners.size;
  }
}

/** A feed announcing list changes only (no watchable resources). */
export function listChangeFeed(
  lists: readonly ListKind[],
  onListChanged: (listener: (kind: ListKind) => void) => () => void,
): ChangeFeed {
  return {
    lists,
    resources: false,
    onListChanged,
    watchResource: () => Promise.reject(new Error('this server has no watchable resources')),
  };
}
