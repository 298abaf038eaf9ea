import { uuidv7 } from '../../../lib/crypto/uuidv7.ts';
import type { Logger } from '../../../lib/log.ts';
import { TOPIC_PREFIX } from '../../../schemas/common.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import type { Event } from '../../../schemas/event.ts';
import { ReplayGuard } from '../../../lib/crypto/replay.ts';
import {
  checkEnvelope,
  checkSignature,
  freshnessRefusal,
  replayUntil,
  type AdmissionLimits,
  type RecipientKind,
  type Refusal,
} from './admission.ts';
import { decodeEventCursor, decodeInboxCursor, encodeEventCursor, encodeInboxCursor } from './cursor.ts';
import { EVENTS_CHANNEL, inboxChannel, type Notifier } from './notifier.ts';
import type { KeyResolver } from './sender-keys.ts';
import type {
  AdmittedEnvelope,
  EventRetention,
  InboxDepth,
  RouterStore,
  StoredEvent,
  SweepResult,
} from './store.ts';

/** Identity events after which a sender's cached key may be wrong. */
const KEY_EVENTS = new Set(['identity.rotated', 'identity.revoked']);

export type Outcome =
  | { status: 'accepted'; id: string; recipient: string; delivered: number }
  | { status: 'rejected'; refusal: Refusal };

export interface RouterDeps {
  store: RouterStore;
  notifier: Notifier;
  keys: KeyResolver;
  now: () => number;
  limits: AdmissionLimits;
  retention: EventRetention;
  log: Logger;
}

export interface InboxPage {
  messages: Envelope[];
  cursor: string | null;
  more: boolean;
}

export interface ReceiveRequest {
  /** Ids handled from the previous page, removed before the inbox is read. */
  ack: readonly string[];
  cursor?: string;
  /** Most messages the call finds: in its one page, or in all the pages it hands on while following. */
  limit: number;
  waitMs: number;
  /**
   * Stay open `ms`, each page found handed to `page` as it is read (a receive without it answers the first);
   * once pages were handed on, the call ends `quietMs` after the last one if no more mail came, so that their
   * acks (which ride on the next call) are not held back for the whole `ms`.
   */
  follow?: { ms: number; quietMs: number; page: (page: InboxPage) => Promise<void> };
}

export interface EventPage {
  events: Event[];
  cursor: string | null;
  more: boolean;
}

function toEvent(stored: StoredEvent): Event {
  return {
    id: stored.id,
    type: stored.type,
    subject: stored.subject,
    data: stored.data as Event['data'],
    timestamp: stored.at,
  };
}

/**
 * The router's logic, with no MCP in it: admission of signed envelopes, inboxes, topics and the event log.
 * Access decisions take the authenticated caller's DID, never a DID from the request.
 */
export class Router {
  readonly #deps: RouterDeps;
  /**
   * The time window, and a fast in-memory first line against replays. The store's ledger is the durable
   * line: it survives restarts and is shared by every router process on the same database.
   */
  readonly #guard: ReplayGuard;
  /** Aborted when the router shuts down: no receive keeps waiting past it. */
  readonly #closing = new AbortController();

  constructor(deps: RouterDeps) {
    this.#deps = deps;
    this.#guard = new ReplayGuard({
      skewMs: deps.limits.maxClockSkewMs,
      maxAgeMs: deps.limits.maxAgeMs,
      now: deps.now,
    });
  }

  /**
   * Checks each envelope (shape, sender = caller, time window, signature), stores the ones that pass in one
   * transaction (the store refuses replays), then notifies every inbox that got mail. One outcome per
   * envelope, in order.
   */
  async send(caller: string, raw: readonly unknown[], kind: RecipientKind): Promise<Outcome[]> {
    const { store, keys, limits, now: clock } = this.#deps;
    const now = clock();
    const outcomes: (Outcome | null)[] = [];
    const admitted: { index: number; envelope: AdmittedEnvelope }[] = [];
    for (const [index, item] of raw.entries()) {
      const checked = checkEnvelope(item, { caller, kind, maxEnvelopeBytes: limits.maxEnvelopeBytes });
      if (!checked.ok) {
        outcomes.push({ status: 'rejected', refusal: checked.refusal });
        continue;
      }
      const { envelope } = checked;
      // Signature before freshness: the guard remembers what it passes, so it only sees authentic envelopes.
      // A sender that rotated its key since it was cached is resolved once more.
      const refusal =
        (checkSignature(envelope, await keys(envelope.sender)) &&
          checkSignature(envelope, await keys(envelope.sender, true))) ??
        freshnessRefusal(envelope, this.#guard.check(envelope));
      if (refusal) {
        outcomes.push({ status: 'rejected', refusal });
        continue;
      }
      outcomes.push(null);
      const toTopic = envelope.recipient.startsWith(TOPIC_PREFIX);
      admitted.push({
        index,
        envelope: {
          id: envelope.id,
          sender: envelope.sender,
          recipient: envelope.recipient,
          nonce: envelope.nonce,
          priority: envelope.metadata.priority,
          expires: envelope.expires,
          replayUntil: replayUntil(envelope, limits),
          body: JSON.stringify(envelope),
          route: toTopic
            ? { kind: 'topic', topic: envelope.recipient.slice(TOPIC_PREFIX.length) }
            : { kind: 'direct', owner: envelope.recipient },
        },
      });
    }
    const results = admitted.length
      ? await store.admit(
          admitted.map((a) => a.envelope),
          now,
        )
      : [];
    const reached = new Set<string>();
    results.forEach((result, i) => {
      const { index, envelope } = admitted[i]!;
      if (result.status === 'accepted') {
        result.owners.forEach((owner) => reached.add(owner));
        outcomes[index] = {
          status: 'accepted',
          id: result.id,
          recipient: envelope.recipient,
          delivered: result.owners.length,
        };
      } else {
        const duplicate = result.status === 'duplicate_id';
        outcomes[index] = {
          status: 'rejected',
          refusal: {
            code: 'envelope_replayed',
            message: duplicate
              ? 'an envelope with this id was already accepted'
              : 'this sender already used this nonce',
            path: [duplicate ? 'id' : 'nonce'],
            id: envelope.id,
          },
        };
      }
    });
    await Promise.all([...reached].map((owner) => this.#notify(inboxChannel(owner))));
    return outcomes as Outcome[];
  }

  /** The fullest inboxes, by how many unexpired envelopes wait in them (counts only). */
  inboxDepths(limit: number): Promise<InboxDepth[]> {
    return this.#deps.store.inboxDepths(this.#deps.now(), limit);
  }

  async fetchInbox(owner: string, cursor: string | undefined, limit: number): Promise<InboxPage> {
    const after = cursor === undefined ? null : decodeInboxCursor(cursor);
    const rows = await this.#deps.store.fetchInbox(owner, after, limit + 1, this.#deps.now());
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      messages: page.map((row) => JSON.parse(row.body) as Envelope),
      cursor: last ? encodeInboxCursor({ rank: last.rank, seq: last.seq }) : (cursor ?? null),
      more: rows.length > limit,
    };
  }

  async ack(owner: string, ids: readonly string[]): Promise<{ acked: string[]; unknown: string[] }> {
    const acked = await this.#deps.store.ack(owner, ids);
    const done = new Set(acked);
    return { acked, unknown: [...new Set(ids)].filter((id) => !done.has(id)) };
  }

  /**
   * Acks the previous page, then reads the inbox from its head (or after `cursor`); when nothing is there,
   * waits up to `waitMs` for mail (woken by the same notifier that drives inbox notifications, so a replica
   * on Redis wakes too). One call in place of ack + fetch + a notification: a lost answer only means the
   * page comes again. Following, the call stays open for `follow.ms` instead and hands each page it finds to
   * `follow.page`, reading on after it (nothing comes twice within the call), until it has found `limit`
   * messages in all, or until it has been quiet for `follow.quietMs` after handing pages on: the page that
   * reaches the limit, or the one found as the call ends, is its answer.
   */
  async receive(
    owner: string,
    request: ReceiveRequest,
    signal?: AbortSignal,
  ): Promise<InboxPage & { acked: number }> {
    const { ack, limit, follow } = request;
    const waitMs = follow ? follow.ms : request.waitMs;
    const { notifier } = this.#deps;
    const acked = ack.length ? (await this.#deps.store.ack(owner, ack)).length : 0;
    const closing = this.#closing.signal;
    const ended = signal ? AbortSignal.any([signal, closing]) : closing;
    const waits = waitMs > 0 && !ended.aborted;
    let cursor = request.cursor;
    let sent = 0;
    const read = () => this.fetchInbox(owner, cursor, limit - sent);
    let woken = Promise.withResolvers<void>();
    const wake = () => woken.resolve();
    // A listener live at once (one process) costs nothing, so it is taken before the first read: mail stored
    // after that read wakes the wait, and a waiting call reads twice (now, and on mail) instead of three times.
    const early = waits && notifier.liveAtOnce ? await notifier.subscribe(inboxChannel(owner), wake) : null;
    let page: InboxPage;
    try {
      page = await read();
    } catch (error) {
      early?.();
      throw error;
    }
    if (!waits || (page.messages.length && !follow)) {
      early?.();
      return { ...page, acked };
    }
    // A wake-up is a hint (a notifier may wake its listeners after reconnecting): read again, and wait on
    // while the page is empty and time is left.
    let over = false;
    const end = () => {
      over = true;
      wake();
    };
    const stop = early ?? (await notifier.subscribe(inboxChannel(owner), wake));
    const timer = setTimeout(end, waitMs);
    let quiet: NodeJS.Timeout | undefined;
    ended.addEventListener('abort', end, { once: true });
    if (ended.aborted) end();
    try {
      // Mail stored between the first read and a subscription that went live after it notified nobody.
      if (!early) page = await read();
      for (;;) {
        if (page.messages.length) {
          // A page with more behind it filled what the limit left, so it is the answer: none handed on has more.
          if (!follow || over || sent + page.messages.length >= limit) break;
          try {
            await follow.page(page);
          } catch (error) {
            // The caller went away as the page went out: the call is over, and the page stays unacked.
            if (ended.aborted) break;
            throw error;
          }
          sent += page.messages.length;
          cursor = page.cursor ?? cursor;
          clearTimeout(quiet);
          quiet = setTimeout(end, follow.quietMs);
          page = { messages: [], cursor: page.cursor, more: false };
        }
        if (over) break;
        await woken.promise;
        if (closing.aborted) break;
        woken = Promise.withResolvers<void>();
        page = await read();
      }
      return { ...page, acked };
    } finally {
      clearTimeout(timer);
      clearTimeout(quiet);
      ended.removeEventListener('abort', end);
      stop();
    }
  }

  async subscribeTopic(did: string, topic: string): Promise<{ changed: boolean; topics: string[] }> {
    const changed = await this.#deps.store.subscribeTopic(topic, did, this.#deps.now());
    return { changed, topics: await this.#deps.store.topicsOf(did) };
  }

  async unsubscribeTopic(did: string, topic: string): Promise<{ changed: boolean; topics: string[] }> {
    const changed = await this.#deps.store.unsubscribeTopic(topic, did);
    return { changed, topics: await this.#deps.store.topicsOf(did) };
  }

  async publishEvent(
    source: string,
    event: { type: string; subject: string; data: Event['data'] },
  ): Promise<Event> {
    // A rotated or revoked sender's cached key must not outlive the change here (renewed before the event
    // is visible, so whoever saw the event sees the router follow it).
    if (KEY_EVENTS.has(event.type))
      await this.#deps.keys(event.subject, true).catch((error: unknown) => {
        this.#deps.log.warn({ err: error, did: event.subject }, 'sender key refresh failed');
      });
    const at = this.#deps.now();
    const stored = await this.#deps.store.appendEvent({ id: uuidv7(at), ...event, source, at });
    await this.#notify(EVENTS_CHANNEL);
    return toEvent(stored);
  }

  async fetchEvents(
    cursor: string | undefined,
    limit: number,
    types?: readonly string[],
  ): Promise<EventPage> {
    const after = cursor === undefined ? 0 : decodeEventCursor(cursor);
    const rows = await this.#deps.store.fetchEvents(after, limit + 1, types);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map(toEvent),
      cursor: last ? encodeEventCursor(last.seq) : (cursor ?? null),
      more: rows.length > limit,
    };
  }

  /** The newest `limit` events, oldest first, with a cursor to follow on from. */
  async recentEvents(limit: number): Promise<EventPage> {
    const last = await this.#deps.store.lastEventSeq();
    return this.fetchEvents(encodeEventCursor(Math.max(0, last - limit)), limit);
  }

  /** Ends every receive waiting for mail (each answers with its empty page), as the router shuts down. */
  close(): void {
    this.#closing.abort();
  }

  sweep(): Promise<SweepResult> {
    return this.#deps.store.sweep(this.#deps.now(), this.#deps.retention);
  }

  async #notify(channel: string): Promise<void> {
    // Mail is stored before anyone is told, so a failed notification only delays delivery: log it and go on.
    await this.#deps.notifier.publish(channel).catch((error: unknown) => {
      this.#deps.log.warn({ err: error, channel }, 'notification failed');
    });
  }
}
