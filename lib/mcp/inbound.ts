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
 * The same transport, with every inbound message passed through `filter` first; `filter` hands the message
 * on with `deliver` (possibly with other extra info) or keeps it. Everything else — sending, closing, the
 * optional members protocol layers probe for — is the transport's own.
 */
export function filterInbound<T extends Transport>(
  transport: T,
  filter: (message: JSONRPCMessage, extra: MessageExtraInfo | undefined, deliver: Deliver) => void,
): T {
  return new Proxy(transport, {
    set(target, property, value: unknown) {
      if (property === 'onmessage' && typeof value === 'function') {
        const deliver = value as Deliver;
        target.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) =>
          filter(message, extra, deliver);
        return true;
      }
      return Reflect.set(target, property, value);
    },
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
