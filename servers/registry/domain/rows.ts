import type { TaskState } from '../../../schemas/task.ts';
import type { AgentRecord, AgentStatus, TaskRecord, ToolKind, ToolRecord } from './store.ts';

// Row shapes shared by the SQLite and PostgreSQL stores. PostgreSQL hands BIGINT back as text and json
// columns already parsed, SQLite gives numbers and text: the readers accept both.

type Int = number | string;
type Json = string | object | null;

export interface AgentRow {
  did: string;
  name: string;
  role: string;
  card: string;
  status: string;
  load: number;
  active_tasks: Int;
  last_heartbeat: Int;
  registered_at: Int;
  updated_at: Int;
  capabilities: Json;
}

export interface ToolRow {
  id: string;
  kind: string;
  name: string;
  version: string;
  description: string;
  capabilities: string;
  author: string;
  entry: string;
  package_sha256: string | null;
  package_bytes: Int | null;
  published_at: Int;
  updated_at: Int;
}

export interface TaskRow {
  id: string;
  capability: string;
  input: string;
  requester: string;
  assignee: string | null;
  state: string;
  preferred_agents: string;
  assignees: string;
  attempts: Int;
  max_attempts: Int;
  attempt_timeout_ms: Int | null;
  deadline: Int | null;
  result: string | null;
  error: string | null;
  message: string | null;
  history: string;
  created_at: Int;
  updated_at: Int;
  version: Int;
}

function json<T>(value: Json): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function intOrNull(value: Int | null): number | null {
  return value === null ? null : Number(value);
}

export function agentFromRow(row: AgentRow): AgentRecord {
  return {
    did: row.did,
    name: row.name,
    role: row.role,
    capabilities: (json<string[] | null>(row.capabilities) ?? []).sort(),
    card: JSON.parse(row.card) as Record<string, unknown>,
    status: row.status as AgentStatus,
    load: Number(row.load),
    activeTasks: Number(row.active_tasks),
    lastHeartbeat: Number(row.last_heartbeat),
    registeredAt: Number(row.registered_at),
    updatedAt: Number(row.updated_at),
  };
}

export function agentParams(agent: AgentRecord): Record<string, unknown> {
  return {
    did: agent.did,
    name: agent.name,
    role: agent.role,
    card: JSON.stringify(agent.card),
    status: agent.status,
    load: agent.load,
    active_tasks: agent.activeTasks,
    last_heartbeat: agent.lastHeartbeat,
    registered_at: agent.registeredAt,
    updated_at: agent.updatedAt,
  };
}

export function toolFromRow(row: ToolRow): ToolRecord {
  return {
    id: row.id,
    kind: row.kind as ToolKind,
    name: row.name,
    version: row.version,
    description: row.description,
    capabilities: JSON.parse(row.capabilities) as string[],
    author: row.author,
    entry: JSON.parse(row.entry) as Record<string, unknown>,
    packageSha256: row.package_sha256,
    packageBytes: row.package_bytes === null ? null : Number(row.package_bytes),
    publishedAt: Number(row.published_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toolParams(tool: ToolRecord): Record<string, unknown> {
  return {
    id: tool.id,
    kind: tool.kind,
    name: tool.name,
    version: tool.version,
    description: tool.description,
    capabilities: JSON.stringify(tool.capabilities),
    author: tool.author,
    entry: JSON.stringify(tool.entry),
    package_sha256: tool.packageSha256,
    package_bytes: tool.packageBytes,
    published_at: tool.publishedAt,
    updated_at: tool.updatedAt,
  };
}

export function taskFromRow(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    capability: row.capability,
    input: JSON.parse(row.input),
    requester: row.requester,
    assignee: row.assignee,
    state: row.state as TaskState,
    preferredAgents: JSON.parse(row.preferred_agents) as string[],
    assignees: JSON.parse(row.assignees) as string[],
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    attemptTimeoutMs: intOrNull(row.attempt_timeout_ms),
    deadline: intOrNull(row.deadline),
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error === null ? null : (JSON.parse(row.error) as TaskRecord['error']),
    message: row.message,
    history: JSON.parse(row.history) as TaskRecord['history'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
}

/** Column values of a task, keyed by the column names in TASK_COLUMNS. */
export function taskParams(task: TaskRecord): Record<string, unknown> {
  return {
    id: task.id,
    capability: task.capability,
    input: JSON.stringify(task.input ?? null),
    requester: task.requester,
    assignee: task.assignee,
    state: task.state,
    preferred_agents: JSON.stringify(task.preferredAgents),
    assignees: JSON.stringify(task.assignees),
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    attempt_timeout_ms: task.attemptTimeoutMs,
    deadline: task.deadline,
    result: task.result === null || task.result === undefined ? null : JSON.stringify(task.result),
    error: task.error === null ? null : JSON.stringify(task.error),
    message: task.message,
    history: JSON.stringify(task.history),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    version: task.version,
  };
}

export const TASK_COLUMNS = [
  'id',
  'capability',
  'input',
  'requester',
  'assignee',
  'state',
  'preferred_agents',
  'assignees',
  'attempts',
  'max_attempts',
  'attempt_timeout_ms',
  'deadline',
  'result',
  'error',
  'message',
  'history',
  'created_at',
  'updated_at',
  'version',
] as const;

export const OPEN_STATES: readonly TaskState[] = ['submitted', 'working', 'input-required'];
