import type { ClientCapabilities, LoggingLevel, ServerNotification } from '@modelcontextprotocol/client';
import type { Caller } from '../../lib/mcp/caller.ts';

/** Who a forwarded call is made for: a 2025-era client session, or one 2026-07-28 request flow. */
export interface Downstream {
  readonly id: string;
  readonly era: 'legacy' | 'modern';
}

export type ServerToClientRequest = { method: string; params?: Record<string, unknown> | undefined };

/** One forwarded call in flight: who made it, and how to reach them while it runs. */
export interface Lease {
  readonly owner: Downstream;
  readonly caller: Caller;
  /** What the client said it can do (its initialize capabilities, or the request's envelope). */
  readonly capabilities: ClientCapabilities;
  /** The level below which log messages are not sent to this client; null = every message (2025 default). */
  readonly logLevel: LoggingLevel | null | 'none';
  /** Aborts when the client cancels the call, or when a parked call expires. */
  readonly signal: AbortSignal;
  /**
   * Relays a notification to the client on the call's stream, in order; the call's answer waits for these (a
   * notification written after the response would be lost with its stream).
   */
  notify(notification: ServerNotification): void;
  /**
   * Asks the client something mid-call (sampling, elicitation, roots), in whatever way its era allows: a
   * request on its session, or an `input_required` round of the call.
   */
  ask(request: ServerToClientRequest): Promise<unknown>;
}
