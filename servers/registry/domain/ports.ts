import type { JsonValue } from '../../../schemas/common.ts';
import type { Envelope } from '../../../schemas/envelope.ts';

/**
 * What the registry needs from its siblings, as small interfaces: the MCP-backed implementations live in
 * ../links/, and each is best-effort where the sibling is optional (not in the composition).
 */

/** Publishes system events (the router's `publish_event`). Never throws: events are best-effort. */
export interface EventSink {
  publish(type: string, subject: string, data: Record<string, JsonValue>): Promise<void>;
}

/** Delivers a signed envelope (the router's `send_message`); false when it could not be delivered. */
export interface Messenger {
  send(envelope: Envelope): Promise<boolean>;
}

export interface DidStatus {
  revoked: boolean;
  /** The Ed25519 public keys currently allowed to sign for the DID. */
  signingKeys: Uint8Array[];
}

export interface TrustOutcome {
  subject: string;
  source: 'task' | 'uptime';
  positive: boolean;
  weight?: number;
  reference: string;
}

/** The identity server, or null answers when it is not part of the composition. */
export interface IdentityDirectory {
  /** Current keys and revocation of a DID; null when no identity server is reachable. */
  resolve(did: string): Promise<DidStatus | null>;
  /** Trust score in 0..1; null when no identity server is reachable. */
  trust(did: string): Promise<number | null>;
  /** Best-effort: never throws. */
  reportOutcome(outcome: TrustOutcome): Promise<void>;
}
