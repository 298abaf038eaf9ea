import type { Logger } from '../../../lib/log.ts';
import { PlexusError, invalid } from '../../../lib/errors.ts';
import type { JsonValue } from '../../../schemas/common.ts';
import type { Envelope } from '../../../schemas/envelope.ts';
import {
  TERMINAL_TASK_STATES,
  type Task,
  type TaskError,
  type TaskHistoryEntry,
  type TaskState,
} from '../../../schemas/task.ts';
import type { EventSink, IdentityDirectory, Messenger } from './ports.ts';
import { serviceEnvelope, type ServiceIdentity } from './service-identity.ts';
import type { RegistrySettings } from './settings.ts';
import type { AgentRecord, RegistryStore, TaskCount, TaskPatch, TaskQuery, TaskRecord } from './store.ts';
import type { TrustCache } from './trust-cache.ts';
import { uuidv7 } from '../../../lib/crypto/uuidv7.ts';

/** Envelope types the registry sends to assignees. */
export const TASK_ASSIGN = 'task/assign';
export const TASK_CANCEL = 'task/cancel';
/** Sent to the requester on every change it did not make itself. */
export const TASK_STATUS = 'task/status';

/** What the assignee may set, from which states. */
const ASSIGNEE_MOVES: Record<TaskState, readonly TaskState[]> = {
  submitted: ['working', 'input-required', 'completed', 'failed', 'rejected'],
  working: ['working', 'input-required', 'completed', 'failed', 'rejected'],
  'input-required': ['working', 'input-required', 'completed', 'failed', 'rejected'],
  completed: [],
  failed: [],
  canceled: [],
  rejected: [],
};

const DEFAULT_ENVELOPE_TTL_S = 24 * 3600;
/** Candidates considered per dispatch; beyond this many online agents with one capability, the first by DID. */
const MAX_CANDIDATES = 1000;

export interface DispatchRequest {
  capability: string;
  input: JsonValue;
  deadline?: number | undefined;
  preferredAgents?: readonly string[] | undefined;
  maxAttempts?: number | undefined;
}

export interface TaskUpdate {
  state: TaskState;
  result?: JsonValue | undefined;
  error?: TaskError | undefined;
  message?: string | undefined;
}

export interface DispatcherDeps {
  store: RegistryStore;
  identity: IdentityDirectory;
  trust: TrustCache;
  messenger: Messenger;
  events: EventSink;
  service: ServiceIdentity;
  now: () => number;
  settings: RegistrySettings;
  log: Logger;
}

export interface TaskView extends Task {
  /** The assignee's latest status message (e.g. what input it needs). */
  message: string | null;
}

export function taskView(task: TaskRecord): TaskView {
  return {
    id: task.id,
    capability: task.capability,
    input: task.input as JsonValue,
    requester: task.requester,
    assignee: task.assignee,
    state: task.state,
    deadline: task.deadline,
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    result: (task.result ?? null) as JsonValue | null,
    error: task.error,
    history: task.history,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    message: task.message,
  };
}

function isTerminal(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

function notFound(id: string): PlexusError {
  return new PlexusError('not_found', 'task_not_found', `no task ${id}`, { field: 'id' });
}

/**
 * Matches tasks to agents and follows them to the end: picks an online agent with the capability (most
 * trusted first, then least loaded), records the task, delivers a signed `task/assign` envelope, and moves
 * the task elsewhere when its assignee goes offline, misses the deadline or rejects it.
 */
export class TaskDispatcher {
  readonly #d: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  get serviceDid(): string {
    return this.#d.service.did;
  }

  /** Tasks in each state, with how many were re-dispatched (counts only). */
  counts(): Promise<TaskCount[]> {
    return this.#d.store.taskCounts();
  }

  async dispatch(requester: string, request: DispatchRequest): Promise<TaskRecord> {
    const now = this.#d.now();
    if (request.deadline !== undefined && request.deadline <= now) {
      throw new PlexusError('invalid', 'deadline_passed', 'deadline: is not in the future', {
        field: 'deadline',
      });
    }
    const [assignee] = await this.#rank(request.capability, [requester], request.preferredAgents ?? []);
    if (!assignee) {
      throw new PlexusError(
        'unavailable',
        'no_agent_available',
        `no online agent offers '${request.capability}'`,
        { hint: 'find_agents shows who offers what; try again when one is online' },
      );
    }
    const task: TaskRecord = {
      id: uuidv7(now),
      capability: request.capability,
      input: request.input,
      requester,
      assignee: assignee.did,
      state: 'submitted',
      preferredAgents: [...(request.preferredAgents ?? [])],
      assignees: [assignee.did],
      attempts: 1,
      maxAttempts: request.maxAttempts ?? this.#d.settings.maxAttempts,
      attemptTimeoutMs: request.deadline === undefined ? null : request.deadline - now,
      deadline: request.deadline ?? null,
      result: null,
      error: null,
      message: null,
      history: [{ state: 'submitted', at: now, by: requester, note: `assigned to ${assignee.did}` }],
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    await this.#d.store.insertTask(task);
    await this.#announce(task, 'dispatched');
    await this.#deliver(TASK_ASSIGN, task, assignee.did);
    return task;
  }

  async get(caller: { subject: string; admin: boolean }, id: string): Promise<TaskRecord> {
    const task = await this.#d.store.getTask(id);
    if (!task) throw notFound(id);
    if (!caller.admin && caller.subject !== task.requester && caller.subject !== task.assignee) {
      // Someone else's task looks like no task at all.
      throw notFound(id);
    }
    return task;
  }

  list(query: TaskQuery): Promise<TaskRecord[]> {
    return this.#d.store.listTasks(query);
  }

  async update(caller: string, id: string, update: TaskUpdate): Promise<TaskRecord> {
    for (;;) {
      const task = await this.#d.store.getTask(id);
      if (!task) throw notFound(id);
      if (task.assignee !== caller) {
        throw new PlexusError('forbidden', 'not_assignee', `only the assignee of task ${id} can update it`, {
          hint: 'requesters follow a task with get_task and stop it with cancel_task',
        });
      }
      if (!ASSIGNEE_MOVES[task.state].includes(update.state)) {
        throw new PlexusError(
          'conflict',
          'invalid_transition',
          `task ${id} is ${task.state}; it cannot become ${update.state}`,
          { field: 'state' },
        );
      }
      if (update.result !== undefined && update.state !== 'completed') {
        throw invalid('result', 'goes only with state completed');
      }
      if (update.error !== undefined && update.state !== 'failed') {
        throw invalid('error', 'goes only with state failed');
      }
      if (update.state === 'rejected') {
        const moved = await this.#reassign(task, caller, `rejected by ${caller}`, {
          finalState: 'rejected',
          penalize: false,
          message: update.message,
        });
        if (moved) return moved;
        continue;
      }
      const now = this.#d.now();
      const patch: TaskPatch = {
        state: update.state,
        updatedAt: now,
        message: update.message ?? null,
        history: this.#history(task, { state: update.state, at: now, by: caller }, update.message),
        ...(update.state === 'completed' ? { result: update.result ?? null } : {}),
        ...(update.state === 'failed'
          ? { error: update.error ?? { code: 'failed', message: update.message ?? 'the assignee failed' } }
          : {}),
      };
      const next = await this.#d.store.updateTask(id, task.version, patch);
      if (!next) continue; // Changed under us (the monitor moved it, or a cancel): decide again.
      await this.#announce(next, 'updated by the assignee');
      await this.#deliver(TASK_STATUS, next, next.requester);
      if (next.state === 'completed' || next.state === 'failed') {
        await this.#outcome(caller, next.state === 'completed', next.id);
      }
      return next;
    }
  }

  async cancel(caller: string, id: string, reason: string | undefined): Promise<TaskRecord> {
    for (;;) {
      const task = await this.#d.store.getTask(id);
      if (!task || task.requester !== caller) {
        if (task && task.assignee === caller) {
          throw new PlexusError(
            'forbidden',
            'not_requester',
            `only the requester of task ${id} can cancel it`,
            {
              hint: "an assignee that won't do a task sets it to rejected with update_task",
            },
          );
        }
        throw notFound(id);
      }
      if (isTerminal(task.state)) {
        throw new PlexusError('conflict', 'task_finished', `task ${id} is already ${task.state}`);
      }
      const now = this.#d.now();
      const next = await this.#d.store.updateTask(id, task.version, {
        state: 'canceled',
        updatedAt: now,
        history: this.#history(task, { state: 'canceled', at: now, by: caller }, reason),
      });
      if (!next) continue;
      await this.#announce(next, reason ?? 'canceled by the requester');
      if (task.assignee) await this.#deliver(TASK_CANCEL, next, task.assignee, reason ?? 'canceled');
      return next;
    }
  }

  /**
   * Re-dispatches every open task that is overdue or whose assignee is offline or gone. A task overdue while
   * it waits for its requester's input (input-required) is not the assignee's fault: it fails as
   * `input_timeout` instead, and the assignee is told to stop without a mark against it.
   */
  async redispatchDue(): Promise<number> {
    const now = this.#d.now();
    let moved = 0;
    for (const task of await this.#d.store.tasksNeedingRedispatch(now)) {
      const overdue = task.deadline !== null && task.deadline <= now;
      if (overdue && task.state === 'input-required') {
        await this.#expireWaiting(task, now);
        continue;
      }
      const reason = overdue ? `${task.assignee} missed the deadline` : `${task.assignee} went offline`;
      if (await this.#reassign(task, 'service:registry', reason, { finalState: 'failed', penalize: true })) {
        moved += 1;
      }
    }
    return moved;
  }

  async #expireWaiting(task: TaskRecord, now: number): Promise<void> {
    const error: TaskError = {
      code: 'input_timeout',
      message: `the requester gave no input before the deadline${task.message ? ` (asked: ${task.message})` : ''}`,
    };
    const next = await this.#d.store.updateTask(task.id, task.version, {
      state: 'failed',
      error,
      updatedAt: now,
      history: this.#history(task, { state: 'failed', at: now, by: 'service:registry' }, error.message),
    });
    if (!next) return;
    await this.#announce(next, error.message);
    await this.#deliver(TASK_STATUS, next, next.requester);
    if (task.assignee) await this.#deliver(TASK_CANCEL, next, task.assignee, error.message);
  }

  /**
   * Moves an open task to the next best agent, or ends it (`finalState`) when attempts are used up or no
   * one else can take it. Null when the task changed meanwhile (the caller decides again).
   */
  async #reassign(
    task: TaskRecord,
    by: string,
    reason: string,
    options: { finalState: 'failed' | 'rejected'; penalize: boolean; message?: string | undefined },
  ): Promise<TaskRecord | null> {
    const now = this.#d.now();
    const previous = task.assignee;
    let next: TaskRecord | null;
    const [candidate] =
      task.attempts < task.maxAttempts
        ? await this.#rank(task.capability, [task.requester, ...task.assignees], task.preferredAgents)
        : [];
    if (candidate) {
      next = await this.#d.store.updateTask(task.id, task.version, {
        state: 'submitted',
        assignee: candidate.did,
        assignees: [...task.assignees, candidate.did],
        attempts: task.attempts + 1,
        deadline: task.attemptTimeoutMs === null ? null : now + task.attemptTimeoutMs,
        message: options.message ?? null,
        updatedAt: now,
        history: this.#history(
          task,
          { state: 'submitted', at: now, by, note: `re-dispatched to ${candidate.did}: ${reason}` },
          undefined,
        ),
      });
    } else {
      const error: TaskError =
        task.attempts >= task.maxAttempts
          ? { code: 'attempts_exhausted', message: `${reason}; no attempts left (${task.maxAttempts})` }
          : {
              code: 'no_agent_available',
              message: `${reason}; no other online agent offers ${task.capability}`,
            };
      next = await this.#d.store.updateTask(task.id, task.version, {
        state: options.finalState,
        error,
        message: options.message ?? null,
        updatedAt: now,
        history: this.#history(task, { state: options.finalState, at: now, by }, error.message),
      });
    }
    if (!next) return null;
    await this.#announce(next, reason);
    await this.#deliver(TASK_STATUS, next, next.requester);
    if (previous) {
      // The old assignee may still be alive (missed deadline): tell it to stop.
      if (by !== previous) await this.#deliver(TASK_CANCEL, next, previous, reason);
      if (options.penalize) await this.#outcome(previous, false, task.id);
    }
    if (candidate) await this.#deliver(TASK_ASSIGN, next, candidate.did);
    return next;
  }

  /** Online agents with the capability, not excluded and not full: preferred first, then trust, then load. */
  async #rank(
    capability: string,
    exclude: readonly string[],
    preferred: readonly string[],
  ): Promise<AgentRecord[]> {
    const online = await this.#d.store.findAgents({
      capability,
      statuses: ['online'],
      limit: MAX_CANDIDATES,
    });
    const candidates = online.filter((a) => !exclude.includes(a.did) && a.load < 1);
    const trust = await this.#d.trust.scores(candidates.map((a) => a.did));
    const preferredRank = (did: string): number => (preferred.includes(did) ? 0 : 1);
    return candidates.sort(
      (a, b) =>
        preferredRank(a.did) - preferredRank(b.did) ||
        (trust.get(b.did) ?? 0) - (trust.get(a.did) ?? 0) ||
        a.load - b.load ||
        a.activeTasks - b.activeTasks ||
        (a.did < b.did ? -1 : 1),
    );
  }

  #history(task: TaskRecord, entry: TaskHistoryEntry, note: string | undefined): TaskHistoryEntry[] {
    const full = note === undefined ? entry : { ...entry, note: note.slice(0, 500) };
    // The wire keeps at most 200 entries: the first (who asked) and the most recent.
    const all = [...task.history, full];
    return all.length > 200 ? [all[0]!, ...all.slice(-199)] : all;
  }

  async #announce(task: TaskRecord, reason: string): Promise<void> {
    await this.#d.events.publish(`task.${task.state}`, task.id, {
      capability: task.capability,
      requester: task.requester,
      assignee: task.assignee,
      attempt: task.attempts,
      reason,
    });
  }

  async #deliver(type: string, task: TaskRecord, recipient: string, reason?: string): Promise<void> {
    const now = this.#d.now();
    const ttl = task.deadline === null ? DEFAULT_ENVELOPE_TTL_S : Math.max(60, (task.deadline - now) / 1000);
    const agent = await this.#d.store.getAgent(recipient);
    const keyAgreement = agent?.card['keyAgreement'];
    const envelopeWith = (content: JsonValue): Envelope =>
      serviceEnvelope(
        this.#d.service,
        {
          type,
          recipient,
          content,
          sealTo: typeof keyAgreement === 'string' ? keyAgreement : undefined,
          thread: task.id,
          priority: type === TASK_CANCEL ? 'high' : 'normal',
          ttl,
        },
        now,
      );
    let envelope: Envelope;
    if (type === TASK_CANCEL) {
      envelope = envelopeWith({ task_id: task.id, state: task.state, reason: reason ?? null });
    } else {
      // The assignee needs the input; the requester has it and wants the result.
      const view = taskView(task) as unknown as Record<string, JsonValue>;
      const bulky = type === TASK_ASSIGN ? 'input' : 'result';
      const full = type === TASK_ASSIGN ? view : { ...view, input: null };
      try {
        envelope = envelopeWith({ task: full });
      } catch (error) {
        if (!(error instanceof PlexusError) || error.kind !== 'invalid') throw error;
        // Too big for one envelope once sealed: send it without the bulky part, fetched by get_task.
        envelope = envelopeWith({ task: { ...full, [bulky]: null }, [`${bulky}_omitted`]: true });
      }
    }
    if (!(await this.#d.messenger.send(envelope))) {
      this.#d.log.warn(
        { task: task.id, recipient, type },
        'task envelope not delivered; the agent can list_tasks',
      );
    }
  }

  async #outcome(subject: string, positive: boolean, reference: string): Promise<void> {
    await this.#d.identity.reportOutcome({ subject, source: 'task', positive, reference });
    this.#d.trust.forget(subject);
  }
}
