import { Redis } from 'ioredis';
import type { Logger } from '../../../lib/log.ts';
import type { Notifier } from './notifier.ts';

/**
 * The Notifier across processes: every router replica publishes "inbox X changed" on Redis and hears
 * every other replica's, so a client subscribed through any replica learns of mail stored by any other.
 * One subscriber connection per process; a Redis channel is subscribed while a local listener wants it.
 * Notifications are hints (the store is the record), so a lost one only delays a fetch.
 */
export class RedisNotifier implements Notifier {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** Local listeners per channel, and the SUBSCRIBE that makes the channel live. */
  readonly #channels = new Map<string, { listeners: Set<() => void>; live: Promise<unknown> }>();
  readonly #log: Logger;

  constructor(options: { url: string; prefix: string; log: Logger }) {
    this.#prefix = options.prefix;
    this.#log = options.log;
    this.#publisher = new Redis(options.url, { maxRetriesPerRequest: 2 });
    this.#subscriber = new Redis(options.url, { maxRetriesPerRequest: 2 });
    for (const redis of [this.#publisher, this.#subscriber]) {
      redis.on('error', (error: unknown) =>
        this.#log.warn({ err: error }, 'redis notifier connection error'),
      );
    }
    this.#subscriber.on('message', (channel: string) => {
      const entry = this.#channels.get(channel.slice(this.#prefix.length));
      for (const listener of entry?.listeners ?? []) listener();
    });
  }

  async publish(channel: string): Promise<void> {
    await this.#publisher.publish(this.#prefix + channel, '');
  }

  async subscribe(channel: string, listener: () => void): Promise<() => void> {
    let entry = this.#channels.get(channel);
    if (!entry) {
      // SUBSCRIBE resolves once Redis confirms: from then on nothing published is missed.
      entry = { listeners: new Set(), live: this.#subscriber.subscribe(this.#prefix + channel) };
      this.#channels.set(channel, entry);
    }
    const current = entry;
    current.listeners.add(listener);
    await current.live;
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size === 0 && this.#channels.get(channel) === current) {
        this.#channels.delete(channel);
        this.#subscriber.unsubscribe(this.#prefix + channel).catch(() => {});
      }
    };
  }

  listenerCount(channel: string): number {
    return this.#channels.get(channel)?.listeners.size ?? 0;
  }

  async close(): Promise<void> {
    this.#channels.clear();
    await Promise.allSettled([this.#publisher.quit(), this.#subscriber.quit()]);
  }
}
