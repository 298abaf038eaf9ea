import { z } from 'zod';
import { AgentCard, Capability } from '../agent-card.ts';
import { Did, JsonValue, TimestampMs, UuidV7, jsonSize, label } from '../common.ts';
import { MAX_TASK_ATTEMPTS, MAX_TASK_JSON_BYTES, Task, TaskError, TaskState } from '../task.ts';

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 20;

const Limit = z.int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE);
const Cursor = z.string().min(1).max(128).describe('Opaque position from a previous call');
/** Signed objects are taken as plain objects and checked by the server, so errors name `card.…`. */
const SignedObject = z.record(z.string(), JsonValue);
const BoundedJson = JsonValue.refine(
  (v) => jsonSize(v) <= MAX_TASK_JSON_BYTES,
  `must be at most ${MAX_TASK_JSON_BYTES} bytes of JSON`,
);

export const AgentStatus = z.enum(['online', 'stale', 'offline']);

export const AgentView = z.object({
  did: Did,
  name: z.string(),
  role: z.string(),
  capabilities: z.array(Capability),
  card: AgentCard,
  status: AgentStatus,
  load: z.number().min(0).max(1),
  active_tasks: z.int().nonnegative(),
  last_heartbeat: TimestampMs,
  registered_at: TimestampMs,
  updated_at: TimestampMs,
  /** 0..1 from the identity server; null when none is reachable. */
  trust: z.number().min(0).max(1).nullable(),
});
export type AgentView = z.infer<typeof AgentView>;

export const RegisterAgentInput = z.object({
  card: SignedObject.describe('Your Agent Card, signed (JCS) by your did:key; card.did must be you'),
});
export const RegisterAgentOutput = z.object({ agent: AgentView, created: z.boolean() });

export const HeartbeatInput = z.object({
  status: z
    .enum(['online', 'offline'])
    .default('online')
    .describe('offline signs off gracefully: your open tasks go to other agents'),
  load: z.number().min(0).max(1).default(0).describe('0 idle … 1 full (a full agent gets no new tasks)'),
  active_tasks: z.int().min(0).max(100_000).default(0),
});
export const HeartbeatOutput = z.object({
  agent: AgentView,
  /** When the registry expects the next heartbeat, at the latest. */
  next_heartbeat_ms: z.int(),
});

export const FindAgentsInput = z.object({
  capability: Capability.optional(),
  role: label(64).optional(),
  name: z.string().min(1).max(64).optional().describe('Case-insensitive part of the name'),
  status: z.array(AgentStatus).min(1).max(3).optional().describe('Default: any status'),
  min_trust: z.number().min(0).max(1).optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});
export const FindAgentsOutput = z.object({
  agents: z.array(AgentView),
  /** Pass back for the next page; null on the last one. */
  cursor: z.string().nullable(),
});

export const GetAgentInput = z.object({ did: Did });
export const GetAgentOutput = z.object({ agent: AgentView });

export const DeregisterAgentInput = z.object({});
export const DeregisterAgentOutput = z.object({ did: Did, removed: z.boolean() });

export const ToolKind = z.enum(['manifest', 'mcp_server']);

export const ToolView = z.object({
  id: UuidV7,
  kind: ToolKind,
  name: z.string(),
  version: z.string(),
  description: z.string(),
  capabilities: z.array(Capability),
  author: Did,
  /** The signed ToolManifest or McpServerListing exactly as published. */
  entry: z.record(z.string(), JsonValue),
  /** A sandboxed tool's code: the SHA-256 it is stored under (its manifest's entrySha256) and its size. */
  package_sha256: z.string().nullable(),
  package_bytes: z.int().nullable(),
  published_at: TimestampMs,
  updated_at: TimestampMs,
});
export type ToolView = z.infer<typeof ToolView>;

export const PublishToolInput = z.object({
  manifest: SignedObject.optional().describe('A signed ToolManifest (a sandboxed tool package)'),
  listing: SignedObject.optional().describe(
    'A signed MCP server listing {name, version, description, transport, url | package, author, signature}',
  ),
  code: z
    .string()
    .max(16 * 1024 * 1024)
    .optional()
    .describe("With a manifest: the entry file's text, whose SHA-256 is the manifest's entrySha256"),
  capabilities: z.array(Capability).max(32).optional().describe('What the tool is for, for find_tools'),
});
export const PublishToolOutput = z.object({ tool: ToolView, created: z.boolean() });

export const FindToolsInput = z.object({
  query: z.string().max(256).optional().describe('Words matched against name, description, capabilities'),
  name: z.string().min(1).max(64).optional().describe('Exactly this tool name'),
  capability: Capability.optional(),
  kind: ToolKind.optional(),
  author: Did.optional(),
  offset: z.int().min(0).max(100_000).default(0),
  limit: Limit,
});
export const FindToolsOutput = z.object({
  tools: z.array(ToolView),
  total: z.int(),
  next_offset: z.int().nullable(),
});

export const GetToolInput = z.object({ id: UuidV7 });
export const GetToolOutput = z.object({ tool: ToolView });
export const GetToolPackageInput = z.object({ id: UuidV7 });
export const GetToolPackageOutput = z.object({
  tool: ToolView,
  /** The entry file's text; its SHA-256 is tool.package_sha256 and the signed manifest's entrySha256. */
  code: z.string(),
});
export const WithdrawToolInput = z.object({ id: UuidV7 });
export const WithdrawToolOutput = z.object({ withdrawn: ToolView });

export const TaskView = z.object({
  ...Task.shape,
  /** The assignee's latest status message (e.g. what input it needs). */
  message: z.string().nullable(),
});
export type TaskView = z.infer<typeof TaskView>;

export const DispatchTaskInput = z.object({
  capability: Capability,
  input: BoundedJson,
  deadline: TimestampMs.optional().describe(
    'When the assignee must be done (ms since epoch); a re-dispatched attempt gets the same time again',
  ),
  preferred_agents: z.array(Did).max(16).optional().describe('Tried first when online and able'),
  max_attempts: z.int().min(1).max(MAX_TASK_ATTEMPTS).optional(),
});
export const DispatchTaskOutput = z.object({
  task: TaskView,
  /** The DID that signs task envelopes: assignees check it. */
  registry_did: Did,
});

export const ASSIGNEE_STATES = ['working', 'input-required', 'completed', 'failed', 'rejected'] as const;

export const UpdateTaskInput = z.object({
  id: UuidV7,
  state: z.enum(ASSIGNEE_STATES),
  result: BoundedJson.optional().describe('With completed'),
  error: TaskError.optional().describe('With failed'),
  message: z.string().max(500).optional().describe('A status line, e.g. what input is required'),
});
export const UpdateTaskOutput = z.object({ task: TaskView });

export const GetTaskInput = z.object({ id: UuidV7 });
export const GetTaskOutput = z.object({ task: TaskView });

export const ListTasksInput = z.object({
  role: z
    .enum(['requester', 'assignee'])
    .default('requester')
    .describe('Tasks you asked for, or tasks you hold'),
  states: z.array(TaskState).min(1).max(7).optional(),
  capability: Capability.optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});
export const ListTasksOutput = z.object({ tasks: z.array(TaskView), cursor: z.string().nullable() });

export const CancelTaskInput = z.object({ id: UuidV7, reason: z.string().max(500).optional() });
export const CancelTaskOutput = z.object({ task: TaskView });

export const GetRegistryInfoInput = z.object({});
export const GetRegistryInfoOutput = z.object({
  did: Did,
  heartbeat_interval_ms: z.int(),
  stale_after_ms: z.int(),
  offline_after_ms: z.int(),
  max_attempts: z.int(),
});

export const GetTaskStatsInput = z.object({});
export const GetTaskStatsOutput = z.object({
  /** Every task state with how many tasks are in it and how many of those were re-dispatched. */
  states: z.array(z.object({ state: TaskState, tasks: z.int(), redispatched: z.int() })),
  total: z.int(),
});
