/** Envelopes a router call moved, by stage: accepted from senders, put in inboxes, acknowledged by readers. */
export interface MessageFlow {
  sent: number;
  delivered: number;
  acked: number;
}

const count = (value: unknown): number => (typeof value === 'number' && value >= 0 ? value : 0);

/**
 * What a successful router tool call says it moved, read from its structured result (counts only: the hub
 * never looks into an envelope). Null for the router's other tools.
 */
export function messageFlow(tool: string, structured: unknown): MessageFlow | null {
  const result = (typeof structured === 'object' && structured !== null ? structured : {}) as Record<
    string,
    unknown
  >;
  switch (tool) {
    case 'send_message':
    case 'publish':
      return { sent: 1, delivered: count(result['delivered']), acked: 0 };
    case 'send_messages': {
      const outcomes = Array.isArray(result['results']) ? (result['results'] as unknown[]) : [];
      const delivered = outcomes.reduce<number>(
        (sum, outcome) => sum + count((outcome as Record<string, unknown> | null)?.['delivered']),
        0,
      );
      return { sent: count(result['accepted']), delivered, acked: 0 };
    }
    case 'ack_messages':
      return {
        sent: 0,
        delivered: 0,
        acked: Array.isArray(result['acked']) ? result['acked'].length : 0,
      };
    // It acks the page before the one it answers with.
    case 'receive_messages':
      return { sent: 0, delivered: 0, acked: count(result['acked']) };
    default:
      return null;
  }
}
