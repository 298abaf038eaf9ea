import { z } from 'zod';
import { TimestampMs, TopicName, UuidV7 } from '../common.ts';
import { Envelope } from '../envelope.ts';
import { Event, EventType } from '../event.ts';

/** Most envelopes one send_messages call may carry. */
export const MAX_BATCH = 500;
/** Most messages or events one fetch returns. */
export const MAX_FETCH = 500;
export const DEFAULT_FETCH = 50;

/** Router settings (the `router` section of the config file). */
export const RouterSettings = z.strictObject({
  /** Largest envelope accepted, in bytes of JSON; at most the network-wide 64 KiB. */
  max_envelope_bytes: z
    .int()
    .min(1024)
    .max(64 * 1024)
    .default(64 * 1024),
  max_batch: z.int().min(1).max(MAX_BATCH).default(MAX_BATCH),
  /** How far an envelope's timestamp may be ahead of the router's clock. */
  max_clock_skew_seconds: z.int().min(0).max(600).default(60),
  /** How old an envelope's timestamp may be when it arrives (the replay window). */
  max_age_seconds: z.int().min(10).max(86_400).default(300),
  sweep_interval_seconds: z.int().min(1).max(3600).default(30),
  event_retention: z
    .strictObject({
      max_events: z.int().min(100).max(10_000_000).default(100_000),
      max_age_hours: z
        .int()
        .min(1)
        .max(24 * 365)
        .default(24 * 7),
    })
    .default({ max_events: 100_000, max_age_hours: 24 * 7 }),
  /** Consult the identity server (when in the composition) for revocation and rotated keys. */
  identity_check: z.boolean().default(true),
  /** Redis channel prefix for cross-replica notifications (used when a Redis URL is configured). */
  redis_prefix: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:._-]*$/)
    .default('plexus:router:'),
  /** How long a resolved sender key stays cached. */
  identity_cache_seconds: z.int().min(0).max(3600).default(30),
  /**
   * Offer `follow_ms` on receive_messages (pages streamed as progress on an open call); off where something
   * between the agents and the hub holds a streamed answer back, so agents receive a page per call.
   */
  receive_follow: z.boolean().default(true),
});
export type RouterSettings = z.infer<typeof RouterSettings>;

/**
 * An envelope as a tool argument. It is validated by the router itself (schemas/envelope.ts) so every
 * refusal carries a stable code and the offending field, and an oversized one is refused before parsing.
 */
export const EnvelopeArgument = z
  .record(z.string(), z.unknown())
  .describe(
    'A signed Envelope: id (UUIDv7), type, sender (your did:key), recipient, timestamp, expires, nonce, ' +
      'thread?, metadata {priority, ttl}, content or enc, signature (Ed25519 over JCS of the rest)',
  );

export const AcceptedOutcome = z.object({
  status: z.literal('accepted'),
  id: z.string(),
  /** How many inboxes it reached (0 for a topic without subscribers). */
  delivered: z.int(),
});
export const RejectedOutcome = z.object({
  status: z.literal('rejected'),
  /** The envelope's id when it had a readable one. */
  id: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
});
export const SendOutcome = z.discriminatedUnion('status', [AcceptedOutcome, RejectedOutcome]);
export type SendOutcome = z.infer<typeof SendOutcome>;

export const SendMessageInput = z.object({ envelope: EnvelopeArgument });
export const SendMessageOutput = z.object({ id: z.string(), recipient: z.string(), delivered: z.int() });

export const SendMessagesInput = z.object({
  envelopes: z.array(EnvelopeArgument).min(1).max(MAX_BATCH).describe(`1..${MAX_BATCH} signed envelopes`),
});
export const SendMessagesOutput = z.object({
  accepted: z.int(),
  rejected: z.int(),
  /** One outcome per envelope, in the order given. */
  results: z.array(SendOutcome),
});

export const PublishInput = z.object({ envelope: EnvelopeArgument });
export const PublishOutput = z.object({ id: z.string(), topic: TopicName, delivered: z.int() });

const Cursor = z.string().max(64).describe('Opaque position from a previous call');
const Limit = z.int().min(1).max(MAX_FETCH).default(DEFAULT_FETCH);

export const FetchInboxInput = z.object({ cursor: Cursor.optional(), limit: Limit });
export const FetchInboxOutput = z.object({
  /** Envelopes exactly as their senders signed them: urgent/high first, then arrival order. */
  messages: z.array(Envelope),
  /** Pass back to continue after the last message; null when nothing was returned from the head. */
  cursor: z.string().nullable(),
  more: z.boolean(),
});

/**
 * A fetch_inbox answer with its envelopes left unread: a recipient checks each envelope on its own (and
 * refuses it alone), so one that breaks the schema does not cost it the page.
 */
export const FetchInboxRawOutput = FetchInboxOutput.extend({
  messages: z.array(z.record(z.string(), z.unknown())),
});

export const AckMessagesInput = z.object({ ids: z.array(UuidV7).min(1).max(MAX_FETCH) });
export const AckMessagesOutput = z.object({
  acked: z.array(z.string()),
  /** Ids not (or no longer) in the caller's inbox. */
  unknown: z.array(z.string()),
});

/** `_meta` key of a receive_messages progress notification that carries a page of the call (follow_ms). */
export const INBOX_PAGE_META_KEY = 'io.plexus/inbox-page';

/** Longest a receive_messages call waits for mail (well inside the hub's and SDK clients' request timeouts). */
export const MAX_RECEIVE_WAIT_MS = 30_000;

export const ReceiveMessagesInput = z.object({
  ack: z
    .array(UuidV7)
    .max(MAX_FETCH)
    .default([])
    .describe('Ids of the messages you handled from the previous page; removed before the next page is read'),
  cursor: Cursor.optional(),
  limit: Limit,
  wait_ms: z
    .int()
    .min(0)
    .max(MAX_RECEIVE_WAIT_MS)
    .default(0)
    .describe('When the inbox is empty, wait this long for mail before answering with an empty page'),
  follow_ms: z
    .int()
    .min(0)
    .max(MAX_RECEIVE_WAIT_MS)
    .default(0)
    .describe(
      'With a progressToken: stay open this long, sending each page as it arrives in a progress ' +
        `notification (in _meta['${INBOX_PAGE_META_KEY}']), at most \`limit\` messages in all, ending a second ` +
        'after the last page sent when no more mail comes; the answer is the last page. Without a progressToken ' +
        'it waits like wait_ms',
    ),
});
export const ReceiveMessagesOutput = z.object({
  /**
   * Envelopes exactly as their senders signed them, from the head of the inbox or after the cursor
   * (urgent/high first, then arrival order), left unparsed: the router checked them on admission and the recipient checks each
   * one again on its own, so one that breaks the schema does not cost it the page.
   */
  messages: z.array(z.record(z.string(), z.unknown())),
  /** Pass back to continue after the last message (messages you leave unacked stay before it). */
  cursor: z.string().nullable(),
  more: z.boolean(),
  /** How many of `ack` were removed; the rest were not (or no longer) in the inbox. */
  acked: z.int(),
});

/** A page sent while a receive_messages call follows the inbox: what its answer holds, minus the acks. */
export const InboxPageProgress = ReceiveMessagesOutput.omit({ acked: true });

export const SubscribeTopicInput = z.object({ topic: TopicName });
export const SubscribeTopicOutput = z.object({
  topic: TopicName,
  /** False when the caller was already subscribed (unsubscribe: when it was not). */
  changed: z.boolean(),
  /** Every topic the caller is now subscribed to. */
  topics: z.array(TopicName),
});

export const PublishEventInput = z.object({
  type: EventType,
  subject: Event.shape.subject,
  data: Event.shape.data.default({}),
});
export const PublishEventOutput = Event;

export const FetchEventsInput = z.object({
  cursor: Cursor.optional(),
  limit: Limit,
  types: z.array(EventType).min(1).max(32).optional().describe('Only these event types'),
});
export const FetchEventsOutput = z.object({
  events: z.array(Event),
  cursor: z.string().nullable(),
  more: z.boolean(),
});

export const InboxSnapshot = z.object({
  did: z.string(),
  messages: z.array(Envelope),
  cursor: z.string().nullable(),
  more: z.boolean(),
  at: TimestampMs,
});

export const GetInboxDepthsInput = z.object({
  limit: z.int().min(1).max(MAX_FETCH).default(20).describe('How many of the fullest inboxes'),
});
export const GetInboxDepthsOutput = z.object({
  /** Fullest first: how many unexpired envelopes wait in each inbox. */
  inboxes: z.array(z.object({ owner: z.string(), waiting: z.int() })),
});
