import type {
  AuthInfo,
  JSONRPCMessage,
  McpServer,
  MessageExtraInfo,
  Server,
  Transport,
} from '@modelcontextprotocol/server';

type Deliver = (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

/**
 * The same transport, with the callback a protocol layer assigns to `property` wrapped by `wrap`. Everything
 * else — sending, closing, the optional members protocol layers probe for — is the transport's own.
 */
function wrapCallback<T extends Transport, K extends 'onmessage' | 'onclose'>(
  transport: T,
  property: K,
  wrap: (assigned: NonNullable<Transport[K]>) => NonNullable<Transport[K]>,
): T {
  return new Proxy(transport, {
    set(target, key, value: unknown) {
      if (key === property && typeof value === 'function') {
        target[property] = wrap(value as NonNullable<Transport[K]>) as T[K];
        return true;
      }
      return Reflect.set(target, key, value);
    },
  });
}

/**
 * The same transport, with every inbound message passed through `filter` first; `filter` hands the message
 * on with `deliver` (possibly with other extra info) or keeps it.
 */
export function filterInbound<T extends Transport>(
  transport: T,
  filter: (message: JSONRPCMessage, extra: MessageExtraInfo | undefined, deliver: Deliver) => void,
): T {
  return wrapCallback(
    transport,
    'onmessage',
    (deliver) => (message, extra) => filter(message, extra, deliver),
  );
}

/** The same transport, `then` running once it has closed, after whatever its user does on close. */
export function onClosed<T extends Transport>(transport: T, then: () => void): T {
  return wrapCallback(transport, 'onclose', (closed) => () => {
    closed();
    then();
  });
}

/** The transport, its inbound messages carrying `authInfo` as an HTTP transport's carry what its bearer check found. */
export function withAuthInfo<T extends Transport>(transport: T, authInfo: AuthInfo): T {
  return filterInbound(transport, (message, extra, deliver) => deliver(message, { ...extra, authInfo }));
}

/**
 * `server`, seeing `authInfo` on every message of any connection it is given. For entries that connect the
 * server themselves (stdio serving), where the caller is known for the whole connection.
 */
export function authenticatedServer<S extends McpServer | Server>(server: S, authInfo: AuthInfo): S {
  const connect = server.connect.bind(server);
  server.connect = (transport: Transport) => connect(withAuthInfo(transport, authInfo));
  return server;
}
