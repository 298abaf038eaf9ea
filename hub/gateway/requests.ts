import type { InboundClassificationOutcome } from '@modelcontextprotocol/server';

/** One JSON-RPC message as the gateway decides on it: rate limits, scope, routing. */
export interface GatewayRequest {
  method: string;
  /** The tool or prompt name, or the resource URI, the message is about (when it names one). */
  name: string | undefined;
  id: string | number | null;
}

function idOf(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/**
 * The JSON-RPC messages of a request, for the gateway. A 2026-07-28 request names its method and target in the
 * `Mcp-Method` / `Mcp-Name` headers, which the SDK's classification has already checked against the body (a
 * mismatch never reaches here): those decide. A 2025-era body is read as it is, every element of a batch.
 */
export function gatewayRequests(
  outcome: InboundClassificationOutcome,
  headers: { method: string | undefined; name: string | undefined },
  body: unknown,
): GatewayRequest[] {
  if (outcome.kind === 'modern') {
    return [
      {
        method: headers.method ?? outcome.message.method,
        name: headers.name,
        id: outcome.messageKind === 'request' ? outcome.message.id : null,
      },
    ];
  }
  const messages = Array.isArray(body) ? body : [body];
  const requests: GatewayRequest[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params, id } = message as { method?: unknown; params?: unknown; id?: unknown };
    if (typeof method !== 'string') continue;
    const named = params as { name?: unknown; uri?: unknown } | undefined;
    const name =
      typeof named?.name === 'string' ? named.name : typeof named?.uri === 'string' ? named.uri : undefined;
    requests.push({ method, name, id: idOf(id) });
  }
  return requests;
}
