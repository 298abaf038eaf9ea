import { z } from 'zod';
import { Capability } from './agent-card.ts';
import { Did, JsonValue, TimestampMs, UuidV7, jsonSize } from './common.ts';

/** A2A task states. */
export const TASK_STATES = [
  'submitted',
  'working',
  'input-required',
  'completed',
  'failed',
  'canceled',
  'rejected',
] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

/** States a task never leaves. */
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['completed', 'failed', 'canceled', 'rejected'];

export const MAX_TASK_JSON_BYTES = 48 * 1024;
export const MAX_TASK_ATTEMPTS = 20;

const BoundedJson = JsonValue.refine(
  (v) => jsonSize(v) <= MAX_TASK_JSON_BYTES,
  `must be at most ${MAX_TASK_JSON_BYTES} bytes of JSON`,
);

export const TaskError = z.strictObject({
  code: z.string().min(1).max(64),
  message: z.string().max(2000),
});
export type TaskError = z.infer<typeof TaskError>;

export const TaskHistoryEntry = z.strictObject({
  state: TaskState,
  at: TimestampMs,
  /** Who moved it: an agent DID, `operator:<name>` or `service:<name>`. */
  by: z.string().min(1).max(128),
  note: z.string().max(500).optional(),
});
export type TaskHistoryEntry = z.infer<typeof TaskHistoryEntry>;

export const Task = z
  .object({
    id: UuidV7,
    capability: Capability,
    input: BoundedJson,
    requester: Did,
    /** null until the task is matched to an agent. */
    assignee: Did.nullable(),
    state: TaskState,
    /** Absolute deadline (ms), or null for none. */
    deadline: TimestampMs.nullable(),
    attempts: z.int().nonnegative(),
    max_attempts: z.int().min(1).max(MAX_TASK_ATTEMPTS),
    result: BoundedJson.nullable(),
    error: TaskError.nullable(),
    history: z.array(TaskHistoryEntry).max(200),
    created_at: TimestampMs,
    updated_at: TimestampMs,
  })
  .superRefine((task, ctx) => {
    if (task.attempts > task.max_attempts) {
      ctx.addIssue({ code: 'custom', path: ['attempts'], message: 'must not exceed max_attempts' });
    }
    if (task.updated_at < task.created_at) {
      ctx.addIssue({ code: 'custom', path: ['updated_at'], message: 'must not be before created_at' });
    }
  });
export type Task = z.infer<typeof Task>;
