/**
 * What the router keeps: envelopes waiting in inboxes, the replay ledger, topic subscriptions and the
 * system event log. SQLite is the embedded implementation; PostgreSQL shares the same contract suite.
 */

/** Inbox order: lower rank first, so `urgent` and `high` come before `normal` and `low`. */
export const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 } as const;
export type Priority = keyof typeof PRIORITY_RANK;

/** Where an envelope goes: one agent's inbox, or every subscriber of a topic (fanned out at admission). */
export type Route = { kind: 'direct'; owner: string } | { kind: 'topic'; topic: string };

/** An envelope the router has checked and is about to store. `body` is its JSON text, kept as received. */
export interface AdmittedEnvelope {
  id: string;
  sender: string;
  recipient: string;
  nonce: string;
  priority: Priority;
  expires: number;
  /** Until when the id and nonce stay in the replay ledger (at least `expires`, at least the skew window). */
  replayUntil: number;
  body: string;
  route: Route;
}

export type AdmitResult =
  | { status: 'accepted'; id: string; owners: string[] }
  | { status: 'duplicate_id'; id: string }
  | { status: 'replayed_nonce'; id: string };

/** Position in an inbox; inboxes are read in (rank, seq) order. */
export interface InboxCursor {
  rank: number;
  seq: number;
}

export interface InboxEntry {
  id: string;
  seq: number;
  rank: number;
  sender: string;
  /** `topic:<name>` when the message came through a topic, else the owner's DID. */
  recipient: string;
  receivedAt: number;
  expires: number;
  body: string;
}

export interface NewEvent {
  id: string;
  type: string;
  subject: string;
  data: unknown;
  /** Who published it (the authenticated caller's subject). */
  source: string;
  at: number;
}

export interface StoredEvent extends NewEvent {
  seq: number;
}

export interface SweepResult {
  /** Inbox deliveries removed because their envelope expired. */
  expired: number;
  /** Replay-ledger rows past their window. */
  ledger: number;
  /** Events beyond the retention bounds. */
  events: number;
}

export interface EventRetention {
  /** Keep at most this many events. */
  maxEvents: number;
  /** Drop events older than this many milliseconds. */
  maxAgeMs: number;
}

export interface InboxDepth {
  owner: string;
  waiting: number;
}

export interface RouterStore {
  /**
   * Records each envelope's id and (sender, nonce) in the replay ledger and delivers it to its route's
   * inboxes, each envelope atomically and in order. A topic is resolved to its subscribers at this moment,
   * the sender excluded. A duplicate id or a nonce the sender already used is refused and nothing is stored.
   */
  admit(envelopes: readonly AdmittedEnvelope[], receivedAt: number): Promise<AdmitResult[]>;
  /** Up to `limit` unexpired entries of `owner`'s inbox after `after` (from the head when null). */
  fetchInbox(owner: string, after: InboxCursor | null, limit: number, now: number): Promise<InboxEntry[]>;
  /** The fullest inboxes (unexpired envelopes waiting, counts only), fullest first, at most `limit`. */
  inboxDepths(now: number, limit: number): Promise<InboxDepth[]>;
  /** Removes the owner's deliveries of these ids; returns the ids that were there. */
  ack(owner: string, ids: readonly string[]): Promise<string[]>;
  /** True when the subscription is new. */
  subscribeTopic(topic: string, did: string, at: number): Promise<boolean>;
  /** True when there was a subscription to remove. */
  unsubscribeTopic(topic: string, did: string): Promise<boolean>;
  topicsOf(did: string): Promise<string[]>;
  appendEvent(event: NewEvent): Promise<StoredEvent>;
  /** The seq of the newest event, 0 when there is none. */
  lastEventSeq(): Promise<number>;
  /** Events with seq > `after`, oldest first, optionally only the given types. */
  fetchEvents(after: number, limit: number, types?: readonly string[]): Promise<StoredEvent[]>;
  /** Purges expired deliveries and envelopes, stale replay-ledger rows and events beyond retention. */
  sweep(now: number, retention: EventRetention): Promise<SweepResult>;
  close(): Promise<void>;
}
