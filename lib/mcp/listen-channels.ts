import type { ServerResponse } from 'node:http';
import {
  PROTOCOL_VERSION_META_KEY,
  isJSONRPCNotification,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import type { Caller } from './caller.ts';
import { filterInbound } from './inbound.ts';
import type { Listens, OpenSubscription } from './listen.ts';

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/**
 * Serves one `subscriptions/listen` request over HTTP: an SSE response that stays open until the client
 * closes it (its cancellation) or the endpoint closes the subscription; a refusal is a plain JSON-RPC error.
 */
export async function serveListenHttp(
  listens: Listens,
  request: JSONRPCRequest,
  caller: Caller,
  res: ServerResponse,
  keepAliveMs = 15_000,
): Promise<void> {
  let keepAlive: NodeJS.Timeout | undefined;
  const write = (message: JSONRPCMessage) => {
    if (res.writableEnded) return;
    if (!res.headersSent) {
      if ('error' in message) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(message));
        return;
      }
      res.writeHead(200, SSE_HEADERS);
      keepAlive = setInterval(() => res.write(': keepalive\n\n'), keepAliveMs);
      keepAlive.unref();
    }
    res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  };
  const subscription = await listens.open(request, caller, {
    send: write,
    end: () => {
      clearInterval(keepAlive);
      if (!res.writableEnded) res.end();
    },
  });
  if (!subscription) return;
  if (res.destroyed) subscription.cancel();
  else res.once('close', () => subscription.cancel());
}

function claimsModernEnvelope(request: JSONRPCRequest): boolean {
  const meta = request.params?._meta;
  return typeof meta?.[PROTOCOL_VERSION_META_KEY] === 'string';
}

/**
 * The stdio wire with modern `subscriptions/listen` served here (from the component's change feed, with the
 * connection's caller) before the SDK's stdio entry sees it; `notifications/cancelled` for an open
 * subscription ends it. Everything else passes through.
 */
export function listenOnStdio<T extends Transport>(transport: T, listens: Listens, caller: Caller): T {
  const open = new Map<RequestId, OpenSubscription>();
  return filterInbound(transport, (message, extra, deliver) => {
    if (
      isJSONRPCRequest(message) &&
      message.method === 'subscriptions/listen' &&
      claimsModernEnvelope(message)
    ) {
      const id = message.id;
      let ended = false;
      void listens
        .open(message, caller, {
          send: (reply) => void transport.send(reply).catch(() => {}),
          end: () => {
            ended = true;
            open.delete(id);
          },
        })
        .then((subscription) => {
          if (subscription && !ended) open.set(id, subscription);
        });
      return;
    }
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const id = message.params?.['requestId'] as RequestId | undefined;
      const subscription = id === undefined ? undefined : open.get(id);
      if (subscription) {
        open.delete(id as RequestId);
        subscription.cancel();
        return;
      }
    }
    deliver(message, extra);
  });
}
