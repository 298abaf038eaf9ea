import { z } from 'zod';
import { JsonValue, TimestampMs, UuidV7, jsonSize } from './common.ts';
import { TASK_STATES } from './task.ts';

/** The system events Plexus servers publish; `task.<state>` for every task state. */
export const SYSTEM_EVENT_TYPES = [
  'agent.registered',
  'agent.online',
  'agent.stale',
  'agent.offline',
  ...TASK_STATES.map((s) => `task.${s}` as const),
  'tool.published',
  'tool.withdrawn',
  'identity.registered',
  'identity.updated',
  'identity.revoked',
  'identity.rotated',
] as const;
export const SystemEventType = z.enum(SYSTEM_EVENT_TYPES);
export type SystemEventType = z.infer<typeof SystemEventType>;

export const MAX_EVENT_DATA_BYTES = 16 * 1024;

/**
 * `<area>.<what>`; lower case. Open-ended so new servers can add events, but every type Plexus itself
 * publishes is in SYSTEM_EVENT_TYPES.
 */
export const EventType = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)+$/, 'must look like area.what (e.g. agent.online)');
export type EventType = z.infer<typeof EventType>;

/** A system event as the router stores and streams it. */
export const Event = z.strictObject({
  id: UuidV7,
  type: EventType,
  /** What it is about: an agent DID, a task id, a tool name. */
  subject: z.string().min(1).max(256),
  data: z
    .record(z.string(), JsonValue)
    .refine(
      (d) => jsonSize(d) <= MAX_EVENT_DATA_BYTES,
      `must be at most ${MAX_EVENT_DATA_BYTES} bytes of JSON`,
    ),
  timestamp: TimestampMs,
});
export type Event = z.infer<typeof Event>;
