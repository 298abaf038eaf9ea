import { SubscriptionFilterSchema } from '@modelcontextprotocol/core';
import {
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SUBSCRIPTION_ID_META_KEY,
  type Implementation,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
  type SubscriptionFilter,
} from '@modelcontextprotocol/server';
import type { Caller } from './caller.ts';
import type { ChangeFeed, ListKind } from './change-feed.ts';
import { declaresTasks, tasksNotDeclared } from './tool-tasks.ts';

/** Where one subscription's messages go: an SSE response (HTTP) or the shared stdio channel. */
export interface ListenChannel {
  send(message: JSONRPCMessage): void;
  /** The subscription is over: end the stream (HTTP); nothing to do on stdio. */
  end(): void;
}

export interface OpenSubscription {
  /** The client went away or canceled: stop without a closing result. */
  cancel(): void;
}

const FILTER_KEY: Record<ListKind, 'toolsListChanged' | 'promptsListChanged' | 'resourcesListChanged'> = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
};

/** The part of a requested filter this feed can honor (MCP: notification types it does not support are omitted). */
export function honoredFilter(
  requested: SubscriptionFilter,
  feed: ChangeFeed | undefined,
): SubscriptionFilter {
  const honored: SubscriptionFilter = {};
  for (const kind of feed?.lists ?? []) {
    if (requested[FILTER_KEY[kind]] === true) honored[FILTER_KEY[kind]] = true;
  }
  const uris = requested.resourceSubscriptions;
  if (feed?.resources && uris?.length) honored.resourceSubscriptions = [...new Set(uris)];
  return honored;
}

function errorResponse(id: RequestId, error: unknown): JSONRPCMessage {
  const known = error instanceof ProtocolError;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: known ? error.code : ProtocolErrorCode.InternalError,
      message: known ? error.message : 'subscription failed',
      ...(known && error.data !== undefined ? { data: error.data } : {}),
    },
  };
}

/**
 * The `subscriptions/listen` streams of one endpoint (MCP 2026-07-28): each is acknowledged first with the
 * honored filter, then carries the feed's list changes and updates of the resources it watches — each checked
 * against the caller when the stream opens — stamped with the subscription id, until the client cancels or
 * the endpoint closes them gracefully.
 */
export class Listens {
  readonly #feed: ChangeFeed | undefined;
  readonly #serverInfo: Implementation;
  readonly #open = new Set<(graceful: boolean) => void>();

  constructor(feed: ChangeFeed | undefined, serverInfo: Implementation) {
    this.#feed = feed;
    this.#serverInfo = serverInfo;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Opens the subscription `request` asks for; null when it was refused (the error went to the channel). */
  async open(
    request: JSONRPCRequest,
    caller: Caller,
    channel: ListenChannel,
  ): Promise<OpenSubscription | null> {
    const id = request.id;
    const parsed = SubscriptionFilterSchema.safeParse(request.params?.['notifications']);
    if (!parsed.success) {
      channel.send(
        errorResponse(
          id,
          new ProtocolError(
            ProtocolErrorCode.InvalidParams,
            'notifications: required, an object with toolsListChanged, promptsListChanged, resourcesListChanged or resourceSubscriptions',
          ),
        ),
      );
      channel.end();
      return null;
    }
    // Task status notifications are never sent, but only a client of the Tasks extension may ask for them.
    const notifications = request.params?.['notifications'] as { taskIds?: unknown };
    if (notifications.taskIds !== undefined && !declaresTasks(request.params?._meta)) {
      channel.send(errorResponse(id, tasksNotDeclared()));
      channel.end();
      return null;
    }
    const honored = honoredFilter(parsed.data, this.#feed);
    const stamp = (notification: Omit<JSONRPCNotification, 'jsonrpc'>): JSONRPCMessage => ({
      jsonrpc: '2.0',
      method: notification.method,
      params: {
        ...notification.params,
        _meta: { ...(notification.params?._meta ?? {}), [SUBSCRIPTION_ID_META_KEY]: id },
      },
    });
    // Nothing may precede the acknowledgement; changes seen while the watches start wait for it.
    let pending: JSONRPCMessage[] | null = [];
    const emit = (notification: Omit<JSONRPCNotification, 'jsonrpc'>) => {
      const message = stamp(notification);
      if (pending) pending.push(message);
      else channel.send(message);
    };
    const stops: (() => void)[] = [];
    try {
      for (const uri of honored.resourceSubscriptions ?? []) {
        const feed = this.#feed as ChangeFeed;
        stops.push(
          await feed.watchResource(uri, caller, () =>
            emit({ method: 'notifications/resources/updated', params: { uri } }),
          ),
        );
      }
    } catch (error) {
      for (const stop of stops) stop();
      channel.send(errorResponse(id, error));
      channel.end();
      return null;
    }
    if (this.#feed && this.#feed.lists.length) {
      stops.push(
        this.#feed.onListChanged((kind) => {
          if (honored[FILTER_KEY[kind]]) emit({ method: `notifications/${kind}/list_changed` });
        }),
      );
    }

    let closed = false;
    const teardown = (graceful: boolean) => {
      if (closed) return;
      closed = true;
      this.#open.delete(teardown);
      for (const stop of stops) stop();
      if (graceful) {
        channel.send({
          jsonrpc: '2.0',
          id,
          result: {
            resultType: 'complete',
            _meta: { [SUBSCRIPTION_ID_META_KEY]: id, [SERVER_INFO_META_KEY]: this.#serverInfo },
          },
        });
      }
      channel.end();
    };
    channel.send(
      stamp({ method: 'notifications/subscriptions/acknowledged', params: { notifications: honored } }),
    );
    const waiting = pending;
    pending = null;
    for (const message of waiting) channel.send(message);
    if (Object.keys(honored).length === 0) {
      // Nothing to deliver: end at once, cleanly.
      teardown(true);
      return { cancel: () => {} };
    }
    this.#open.add(teardown);
    return { cancel: () => teardown(false) };
  }

  /** Ends every open subscription with its closing result (the endpoint shuts down). */
  closeAll(): void {
    for (const teardown of [...this.#open]) teardown(true);
  }
}
