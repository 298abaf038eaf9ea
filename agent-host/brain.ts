import type { Client, Tool } from '@modelcontextprotocol/client';
import type { JsonValue } from '../schemas/common.ts';
import type { Logger } from '../lib/log.ts';
import type { NamespacedTools } from '../lib/mcp/local-tools.ts';

/**
 * The contract between the agent runtime (hub connection, mail, local tool servers) and the agent's mind
 * (`agent-host/loop/`). The runtime delivers verified, decrypted messages and dispatched tasks; the brain
 * decides what to do with them using the tools it is handed.
 */

/** A tool as listed to the brain; names are namespaced: `filesystem__read_file`, `hub__memory__recall`. */
export type ToolInfo = Tool;

/** The brain's tools: its local servers' and the hub's, by namespaced name. */
export type AgentTools = NamespacedTools;

/**
 * A chat message or topic delivery that passed signature, decryption and replay checks and is already stored
 * locally. Each id is handed over once; only a message the brain was still handling when the agent stopped
 * abruptly (a crash, a kill) comes again after the restart, marked `redelivered`, for a brain whose effects
 * must not repeat to check.
 */
export interface IncomingMessage {
  /** The envelope id. */
  id: string;
  /** Sender DID. */
  from: string;
  fromName?: string;
  thread?: string;
  /** The message text (content.text, or the JSON content rendered when there is no text). */
  text: string;
  /** The opened content as sent. */
  content: JsonValue;
  receivedAt: number;
  /** Set for a delivery published to a topic this agent follows (`topic:<name>` was its recipient). */
  topic?: string;
  /** Handed over before, while the agent stopped abruptly: the brain may have acted on it already. */
  redelivered?: true;
}

/** A task the registry dispatched to this agent (a `task/assign` envelope). */
export interface AssignedTask {
  id: string;
  capability: string;
  input: JsonValue;
  /** Epoch ms. */
  deadline?: number;
  /** DID of whoever asked for it. */
  requester: string;
}

export interface AgentContext {
  did: string;
  name: string;
  role: string;
  tools: AgentTools;
  /** MCP client to the hub's /mcp, authenticated as this agent. */
  hub: Client;
  /** Sends an end-to-end encrypted chat message (to a DID or an agent name). */
  reply(to: string, text: string, thread?: string): Promise<void>;
  /** Aborted when this work is no longer wanted: its task was canceled or handed back, or the agent stops. */
  signal: AbortSignal;
  log: Logger;
  dataDir: string;
}

export type TaskOutcome =
  | { state: 'completed'; result: JsonValue }
  | { state: 'failed'; error: string }
  | { state: 'input-required'; question: string };

export interface Brain {
  onMessage(msg: IncomingMessage, ctx: AgentContext): Promise<void>;
  onTask(task: AssignedTask, ctx: AgentContext): Promise<TaskOutcome>;
  close?(): Promise<void>;
}
