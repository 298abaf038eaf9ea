import fs from 'node:fs';
import type { Logger } from '../lib/log.ts';
import { agentPaths, loadAgentConfig } from './config.ts';
import type { HubSession } from './hub-session.ts';
import type { Mailbox } from './mailbox.ts';

/** The topics the runtime subscribed at the router itself (JSON list), so it can undo only its own. */
const SUBSCRIBED = 'topics_subscribed';

export interface FollowedTopicsOptions {
  /** The agent dir: `topics` in its agent.json. */
  dir: string;
  initial: readonly string[];
  mailbox: Mailbox;
  /** Human-readable progress lines: what the agent follows, when that changes. */
  say(line: string): void;
  log: Logger;
}

/**
 * The topics an agent follows: `topics` in agent.json, which `plexus agent follow|unfollow` edit. A running
 * agent reads the file again when it changed, so an edit takes effect at its next inbox drain. Followed topics
 * are subscribed at the router at every connect; a topic no longer followed is unsubscribed only when this
 * runtime subscribed it (another client of the same identity may have its own reasons).
 */
export class FollowedTopics {
  readonly #o: FollowedTopicsOptions;
  readonly #file: string;
  #topics: Set<string>;
  #stamp: string;
  #changed = false;

  constructor(options: FollowedTopicsOptions) {
    this.#o = options;
    this.#file = agentPaths(options.dir).config;
    this.#topics = new Set(options.initial);
    this.#stamp = this.#fileStamp();
  }

  #fileStamp(): string {
    try {
      const stat = fs.statSync(this.#file);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch {
      return 'absent';
    }
  }

  /** Reads agent.json again when it changed; true when the followed topics did. */
  refresh(): boolean {
    const stamp = this.#fileStamp();
    if (stamp === this.#stamp) return this.#changed;
    this.#stamp = stamp;
    try {
      const topics = new Set(loadAgentConfig(this.#o.dir).topics);
      if ([...topics].join('\n') !== [...this.#topics].join('\n')) {
        this.#topics = topics;
        this.#changed = true;
        this.#o.log.info({ topics: [...topics] }, 'followed topics changed');
      }
    } catch (error) {
      this.#o.log.warn({ err: error }, 'agent.json unreadable; following the same topics as before');
    }
    return this.#changed;
  }

  follows(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Subscribes every followed topic and unsubscribes the ones this runtime subscribed and no longer follows. */
  async sync(session: HubSession): Promise<void> {
    const { mailbox, log } = this.#o;
    const before = JSON.parse(mailbox.getState(SUBSCRIBED) ?? '[]') as string[];
    const followed = this.#topics;
    const now = [...followed];
    const { router } = session.servers;
    for (const topic of now) await router.subscribeTopic({ topic });
    for (const topic of before.filter((t) => !followed.has(t))) await router.unsubscribeTopic({ topic });
    mailbox.setState(SUBSCRIBED, now.length ? JSON.stringify(now) : null);
    // An edit read meanwhile still needs its own round.
    if (this.#topics === followed) this.#changed = false;
    if (now.join('\n') === before.join('\n')) return;
    log.info({ topics: now }, 'topic subscriptions changed');
    this.#o.say(now.length ? `following ${now.join(', ')}` : 'following no topics');
  }
}
