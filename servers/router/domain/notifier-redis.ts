import { Redis } from 'ioredis';
import type { Logger } from '../../../lib/log.ts';
import type { Notifier } from './notifier.ts';

/**
 * The Notifier across processes: every router replica publishes "inbox X changed" on Redis and hears
 * every other replica's, so a client subscribed through any replica learns of mail stored by any other.
 * One subscriber connection per process; a Redis channel is subscribed while a local listener wants it.
 * Notifications are hints (the store is the record), and nothing waits on a Redis that is down: publishing
 * fails at once, subscribing gives up waiting after SUBSCRIBE_WAIT_MS, closing drops a connection that is
 * not up. A hint is delayed, not lost, by an outage: a channel whose publish failed is published again when
 * the publisher is back, and a renewed subscription wakes its listeners once for what it may have missed.
 */
const SUBSCRIBE_WAIT_MS = 2_000;
/** Channels remembered for publishing after an outage; past this, renewed subscriptions still wake. */
const MAX_UNPUBLISHED = 10_000;

export class RedisNotifier implements Notifier {
  readonly liveAtOnce = false;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** Local listeners per channel, and the SUBSCRIBE that makes the channel live. */
  readonly #channels = new Map<string, { listeners: Set<() => void>; live: Promise<boolean> }>();
  readonly #unpublished = new Set<string>();
  readonly #log: Logger;

  constructor(options: { url: string; prefix: string; log: Logger }) {
    this.#prefix = options.prefix;
    this.#log = options.log;
    this.#publisher = new Redis(options.url, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
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
    // A SUBSCRIBE that failed while Redis was down is not among those ioredis renews: renew every channel.
    this.#subscriber.on('ready', () => {
      for (const [channel, entry] of this.#channels) {
        void this.#subscribeRedis(channel).then((live) => {
          if (live) for (const listener of entry.listeners) listener();
        });
      }
    });
    this.#publisher.on('ready', () => {
      const channels = [...this.#unpublished];
      this.#unpublished.clear();
      for (const channel of channels) this.publish(channel).catch(() => {});
    });
  }

  /** SUBSCRIBE one channel; false (logged) when Redis could not be told. */
  #subscribeRedis(channel: string): Promise<boolean> {
    return this.#subscriber.subscribe(this.#prefix + channel).then(
      () => true,
      (error: unknown) => {
        this.#log.warn({ err: error, channel }, 'redis subscribe failed; renewed when redis is back');
        return false;
      },
    );
  }

  async publish(channel: string): Promise<void> {
    try {
      await this.#publisher.publish(this.#prefix + channel, '');
    } catch (error) {
      if (this.#unpublished.size < MAX_UNPUBLISHED) this.#unpublished.add(channel);
      throw error;
    }
  }

  async subscribe(channel: string, listener: () => void): Promise<() => void> {
    let entry = this.#channels.get(channel);
    if (!entry) {
      // SUBSCRIBE resolves once Redis confirms: from then on nothing published is missed.
      entry = { listeners: new Set(), live: this.#subscribeRedis(channel) };
      this.#channels.set(channel, entry);
    }
    const current = entry;
    current.listeners.add(listener);
    let timer: NodeJS.Timeout | undefined;
    const live = await Promise.race([
      current.live,
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SUBSCRIBE_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (!live)
      this.#log.warn({ channel }, 'redis is not answering; the subscription goes live when it is back');
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
    this.#unpublished.clear();
    await Promise.allSettled(
      [this.#publisher, this.#subscriber].map((redis) =>
        redis.status === 'ready' ? redis.quit() : Promise.resolve(redis.disconnect()),
      ),
    );
  }
}
