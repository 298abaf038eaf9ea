/**
 * What the registry keeps: agents (their signed cards and liveness), published tools, dispatched tasks, and
 * the registry's own service key. SQLite implements it for the embedded hub, PostgreSQL when scaled out;
 * both run the same contract suite (store.contract.ts).
 */

import type { TaskError, TaskHistoryEntry, TaskState } from '../../../schemas/task.ts';

/** Liveness as the registry sees it: heartbeats make an agent `online`; the monitor marks silence. */
export const AGENT_STATUSES = ['online', 'stale', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface AgentRecord {
  did: string;
  name: string;
  role: string;
  /** Normalized (trimmed, lower-case) capability names from the card. */
  capabilities: string[];
  /** The signed Agent Card exactly as registered. */
  card: Record<string, unknown>;
  status: AgentStatus;
  load: number;
  activeTasks: number;
  lastHeartbeat: number;
  registeredAt: number;
  updatedAt: number;
}

export interface AgentQuery {
  capability?: string | undefined;
  role?: string | undefined;
  /** Case-insensitive substring of the name. */
  name?: string | undefined;
  statuses?: readonly AgentStatus[] | undefined;
  /** Keyset paging: only agents whose DID sorts after this one. */
  after?: string | undefined;
  limit: number;
}

export const TOOL_KINDS = ['manifest', 'mcp_server'] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

export interface ToolRecord {
  id: string;
  kind: ToolKind;
  name: string;
  version: string;
  description: string;
  capabilities: string[];
  author: string;
  /** The signed entry exactly as published. */
  entry: Record<string, unknown>;
  /** A sandboxed tool's uploaded code: its SHA-256 (the address it is stored under) and size. */
  packageSha256: string | null;
  packageBytes: number | null;
  publishedAt: number;
  updatedAt: number;
}

export interface ToolQuery {
  /** Free text, matched against name, description and capabilities (full-text, prefix terms, all must match). */
  text?: string | undefined;
  /** Exactly this name. */
  name?: string | undefined;
  capability?: string | undefined;
  kind?: ToolKind | undefined;
  author?: string | undefined;
  offset: number;
  limit: number;
}

export interface TaskRecord {
  id: string;
  capability: string;
  input: unknown;
  /** Subject of the caller that dispatched it (an agent DID or `operator:<name>`). */
  requester: string;
  assignee: string | null;
  state: TaskState;
  preferredAgents: string[];
  /** Every agent the task has been assigned to, oldest first. */
  assignees: string[];
  attempts: number;
  maxAttempts: number;
  /** Time each attempt gets (null: no deadline); a re-dispatched attempt's deadline is now + this. */
  attemptTimeoutMs: number | null;
  /** Deadline of the current attempt (ms since the epoch), or null for none. */
  deadline: number | null;
  result: unknown;
  error: TaskError | null;
  message: string | null;
  history: TaskHistoryEntry[];
  createdAt: number;
  updatedAt: number;
  /** Bumped on every change; updates name the version they read (optimistic concurrency). */
  version: number;
}

export interface TaskQuery {
  requester?: string | undefined;
  assignee?: string | undefined;
  states?: readonly TaskState[] | undefined;
  capability?: string | undefined;
  /** Keyset paging over (created_at, id) newest first: only tasks older than this cursor. */
  before?: { createdAt: number; id: string } | undefined;
  limit: number;
}

export type TaskPatch = Partial<
  Pick<
    TaskRecord,
    | 'assignee'
    | 'state'
    | 'assignees'
    | 'attempts'
    | 'deadline'
    | 'result'
    | 'error'
    | 'message'
    | 'history'
    | 'updatedAt'
  >
>;

export interface TaskCount {
  state: TaskState;
  tasks: number;
  redispatched: number;
}

export interface ServiceKey {
  did: string;
  /** 32-byte Ed25519 seed. */
  secretKey: Uint8Array;
  createdAt: number;
}

export interface RegistryStore {
  /** Inserts or replaces the agent's card; keeps registeredAt of an existing record. */
  putAgent(agent: AgentRecord): Promise<AgentRecord>;
  getAgent(did: string): Promise<AgentRecord | null>;
  findAgents(query: AgentQuery): Promise<AgentRecord[]>;
  /** Records a heartbeat; null when the agent is not registered. */
  recordHeartbeat(
    did: string,
    beat: { status: AgentStatus; load: number; activeTasks: number; at: number },
  ): Promise<{ before: AgentStatus; after: AgentRecord } | null>;
  /** Sets the status only if it is still `from` (so a concurrent heartbeat wins); true when changed. */
  transitionAgent(did: string, from: AgentStatus, to: AgentStatus, at: number): Promise<boolean>;
  /** Agents in `status` whose last heartbeat is older than `before`. */
  agentsSilentSince(statuses: readonly AgentStatus[], before: number): Promise<AgentRecord[]>;
  deleteAgent(did: string): Promise<boolean>;

  /**
   * Inserts a tool, or replaces the entry with the same (author, name) keeping its id. `content` is the
   * package stored under tool.packageSha256, in the same transaction; packages no tool refers to any more go.
   */
  putTool(tool: ToolRecord, content?: Uint8Array): Promise<{ tool: ToolRecord; created: boolean }>;
  getTool(id: string): Promise<ToolRecord | null>;
  findTools(query: ToolQuery): Promise<{ tools: ToolRecord[]; total: number }>;
  /** Removes the tool, and its package unless another tool has the same content. */
  deleteTool(id: string): Promise<boolean>;
  /** A stored package by its SHA-256 (lower-case hex). */
  getPackage(sha256: string): Promise<Uint8Array | null>;

  insertTask(task: TaskRecord): Promise<void>;
  getTask(id: string): Promise<TaskRecord | null>;
  listTasks(query: TaskQuery): Promise<TaskRecord[]>;
  /** Applies `patch` only when the stored version is `version`; returns the new record, or null on a conflict. */
  updateTask(id: string, version: number, patch: TaskPatch): Promise<TaskRecord | null>;
  /** Non-terminal tasks that are overdue or whose assignee is offline or gone: the monitor re-dispatches them. */
  tasksNeedingRedispatch(now: number): Promise<TaskRecord[]>;
  /** How many tasks are in each state, and how many of those were dispatched more than once. */
  taskCounts(): Promise<TaskCount[]>;

  /** Returns the stored service key, storing `candidate` first if there is none (the first writer wins). */
  ensureServiceKey(candidate: ServiceKey): Promise<ServiceKey>;

  close(): Promise<void>;
}
