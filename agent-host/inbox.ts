import { setTimeout as sleep } from 'node:timers/promises';
import { PlexusError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { INBOX_PAGE_META_KEY, InboxPageProgress } from '../schemas/router/tools.ts';
import { HubBusyError } from './hub-pacing.ts';
import { connectionLost, type HubSession } from './hub-session.ts';
import type { Mailbox } from './mailbox.ts';

const INBOX_CURSOR = 'inbox_cursor';
const PAGE = 50;
/** How long a receive waits (or follows) at the router for mail before it is asked again (the router allows 30 s). */
export const RECEIVE_WAIT_MS = 25_000;

/**
 * How mail comes: on one `receive_messages` call out at the router (`receive`: pages streamed on it while it
 * follows the inbox, or one page per call from a router older than `follow_ms`), or `fetch_inbox` drained on
 * notifications (`fetch`: a hub older than the tool).
 */
export type InboxMode = 'receive' | 'fetch';

/**
 * What became of one inbox delivery: stored, refused (dropped) or left unacked (to expire, or to be taken by
 * a later read).
 */
export type Taken = 'stored' | 'refused' | 'left';

export interface InboxOptions {
  mailbox: Mailbox;
  /** Verifies, opens and stores one delivery. */
  take(raw: Record<string, unknown>): Promise<Taken>;
  /** Something was stored: its handling starts from the store, whatever becomes of the ack. */
  stored(): void;
  /** Before each drain of an older hub's inbox (the followed topics synced when they changed). */
  beforeDrain(session: HubSession): Promise<void>;
  /** The connection broke under a read or an ack. */
  lost(error: unknown): void;
  /** Most time a request may take (a receive may take this much beyond its wait). */
  timeoutMs: number;
  /** Wait before asking again after the router refused a receive. */
  retryMs: number;
  log: Logger;
}

/**
 * One connection's inbox. When the hub's router has `receive_messages`, one call is always out at the router:
 * it stays open (`follow_ms`), each page of mail coming as a progress notification on its stream as it is
 * stored — with a router older than that, the call waits and answers with the first page — so mail arrives on
 * a request already out (no notification, no fetch), and each call's acks ride on the next. An older hub (the
 * tool unknown there) is drained as before: `fetch_inbox` pages, each acked with `ack_messages`, on every
 * inbox notification and at each poll.
 */
export class Inbox {
  readonly #o: InboxOptions;
  readonly #session: HubSession;
  readonly mode: InboxMode;
  readonly #closing = new AbortController();
  #receiving: Promise<void> | null = null;
  #draining: Promise<void> | null = null;
  #drainAgain = false;

  private constructor(options: InboxOptions, session: HubSession, mode: InboxMode) {
    this.#o = options;
    this.#session = session;
    this.mode = mode;
  }

  /**
   * Asks the hub's router whether it has the tool (a probe that acks nothing and keeps no cursor, so the page
   * it reads comes again on the first real call). Whether it follows is not asked: a router older than
   * `follow_ms` drops the input it does not know and answers the call as a wait.
   */
  static async open(options: InboxOptions, session: HubSession): Promise<Inbox> {
    try {
      await session.servers.router.receiveMessages({ limit: 1 });
    } catch (error) {
      if (!(error instanceof PlexusError && error.code === 'unknown_tool')) throw error;
      options.log.info('the hub has no router__receive_messages; draining the inbox on notifications');
      return new Inbox(options, session, 'fetch');
    }
    return new Inbox(options, session, 'receive');
  }

  /** Whether mail comes on a call out at the router (no inbox notifications needed). */
  get receives(): boolean {
    return this.mode !== 'fetch';
  }

  /** Starts taking mail: the waiting receive, or a first drain (resolved when that drain is done). */
  async start(): Promise<void> {
    if (this.receives) {
      this.#receiving = this.#receive();
      return;
    }
    this.drain();
    await this.#draining;
  }

  get draining(): boolean {
    return this.#draining !== null;
  }

  /** Drains an older hub's inbox (one drain at a time; a request during one runs another after it). */
  drain(): void {
    if (this.receives || this.#closing.signal.aborted) return;
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = (async () => {
      do {
        this.#drainAgain = false;
        try {
          await this.#drainOnce();
        } catch (error) {
          if (connectionLost(error)) this.#o.lost(error);
          else this.#o.log.warn({ err: error }, 'inbox drain stopped; the next poll goes on');
          break;
        }
      } while (this.#drainAgain && !this.#closing.signal.aborted);
    })().finally(() => {
      this.#draining = null;
    });
  }

  async #drainOnce(): Promise<void> {
    const { router } = this.#session.servers;
    await this.#o.beforeDrain(this.#session);
    while (!this.#closing.signal.aborted) {
      const cursor = this.#o.mailbox.getState(INBOX_CURSOR);
      const page = await router.fetchInboxRaw({ ...(cursor ? { cursor } : {}), limit: PAGE });
      const { ack } = await this.#take(page.messages);
      if (ack.length > 0) await router.ackMessages({ ids: ack });
      this.#o.mailbox.setState(INBOX_CURSOR, page.more ? page.cursor : null);
      if (!page.more) return;
    }
  }

  /**
   * One `receive_messages` call out at a time until the connection closes, each acking the messages of the
   * call before it. Mail left unacked (a topic not followed, a sender whose keys could not be looked up) would
   * answer a read from the head at once, so the call after such a call reads after it instead, and the head
   * is read again when a call ends with nothing left behind.
   */
  async #receive(): Promise<void> {
    const { log } = this.#o;
    const signal = this.#closing.signal;
    let ack: string[] = [];
    while (!signal.aborted) {
      const handled: string[] = [];
      try {
        await this.#receiveCall(ack, handled);
        ack = handled;
      } catch (error) {
        if (signal.aborted) {
          // The call was ended as it streamed: what it brought is stored, and acked below with the rest.
          ack = [...ack, ...handled];
          break;
        }
        if (connectionLost(error)) {
          this.#o.lost(error);
          return;
        }
        log.warn({ err: error }, 'inbox receive refused; asking again shortly');
        const wait = error instanceof HubBusyError ? error.retryAfterMs : this.#o.retryMs;
        await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
    }
    // Stopping with the hub still there: the last call's ack goes on its own (else it only comes again).
    if (ack.length > 0)
      await this.#session.servers.router
        .ackMessages({ ids: ack })
        .catch((error: unknown) => log.debug({ err: error }, 'last inbox ack not sent'));
  }

  /**
   * One call acking `ack`: each page stored in the order it came (those streamed while following, then the
   * answer), the ids to ack next added to `handled` as they are. A page that repeats (a stream broken before
   * its ack) is acked again unstored.
   */
  async #receiveCall(ack: string[], handled: string[]): Promise<void> {
    const { mailbox, log } = this.#o;
    let left = false;
    let taking = Promise.resolve();
    const take = (messages: Record<string, unknown>[]) => {
      taking = taking.then(async () => {
        const taken = await this.#take(messages);
        handled.push(...taken.ack);
        left ||= taken.left;
      });
      // Awaited once the call ends; a failure before that must not count as unhandled meanwhile.
      taking.catch(() => undefined);
    };
    const onprogress = (progress: Record<string, unknown>) => {
      const meta = progress['_meta'] as Record<string, unknown> | undefined;
      const page = InboxPageProgress.safeParse(meta?.[INBOX_PAGE_META_KEY]);
      // A page not read stays unacked and comes again from the head.
      if (page.success) take(page.data.messages);
      else log.debug({ err: page.error }, 'an inbox page that could not be read was skipped');
    };
    const cursor = mailbox.getState(INBOX_CURSOR);
    try {
      const page = await this.#session.servers.router.receiveMessages(
        {
          ack,
          ...(cursor ? { cursor } : {}),
          limit: PAGE,
          wait_ms: RECEIVE_WAIT_MS,
          follow_ms: RECEIVE_WAIT_MS,
        },
        {
          signal: this.#closing.signal,
          timeout: RECEIVE_WAIT_MS + this.#o.timeoutMs,
          onprogress,
        },
      );
      take(page.messages);
      await taking;
      mailbox.setState(INBOX_CURSOR, page.more || left ? page.cursor : null);
    } finally {
      // A broken call's pages are stored before the next call reads them again.
      await taking.catch(() => undefined);
    }
  }

  /** Stores a page's deliveries; the ids to ack and whether any was left in the inbox. */
  async #take(messages: Record<string, unknown>[]): Promise<{ ack: string[]; left: boolean }> {
    const ack: string[] = [];
    let stored = false;
    let left = false;
    for (const raw of messages) {
      const id = typeof raw['id'] === 'string' ? raw['id'] : null;
      if (!id) continue;
      // A copy of a stored message is acked again: the stored one is handled whatever became of its ack.
      const taken = this.#o.mailbox.hasReceived(id) ? 'known' : await this.#o.take(raw);
      if (taken === 'left') {
        left = true;
        continue;
      }
      stored ||= taken === 'stored';
      ack.push(id);
    }
    if (stored) this.#o.stored();
    return { ack, left };
  }

  /** Ends the waiting receive (or the drain in progress) and resolves when it stopped. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([this.#receiving, this.#draining]);
  }
}
