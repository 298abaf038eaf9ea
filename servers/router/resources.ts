import { ResourceTemplate, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { DID_KEY_PATTERN } from '../../schemas/common.ts';
import { callerOf, DELEGATE_SCOPE, hasScope, type Caller } from '../../lib/mcp/caller.ts';
import type { ChangeFeed } from '../../lib/mcp/change-feed.ts';
import { EVENTS_CHANNEL, inboxChannel, type Notifier } from './domain/notifier.ts';
import type { Router } from './domain/router.ts';

export const INBOX_URI_PREFIX = 'plexus://inbox/';
export const EVENTS_URI = 'plexus://events';
/** How many messages / events a resource read shows; the tools page further. */
const SNAPSHOT_SIZE = 100;

export const inboxUri = (did: string): string => `${INBOX_URI_PREFIX}${did}`;

function denied(code: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidRequest, `[${code}] ${message}`, { code });
}

/** The channel a resource URI maps to, after checking the caller may watch it (`anyInbox`: every inbox). */
export function channelFor(uri: string, caller: Caller, anyInbox = false): string {
  if (!hasScope(caller, 'read')) throw denied('insufficient_scope', `${uri} needs the 'read' scope`);
  if (uri === EVENTS_URI) return EVENTS_CHANNEL;
  if (uri.startsWith(INBOX_URI_PREFIX)) {
    const did = decodeURIComponent(uri.slice(INBOX_URI_PREFIX.length));
    if (!DID_KEY_PATTERN.test(did)) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `uri: ${uri} does not name a did:key inbox`);
    }
    if (caller.did !== did && !anyInbox)
      throw denied('inbox_forbidden', `only ${did} may read or watch its inbox`);
    return inboxChannel(did);
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `uri: ${uri} is not a router resource`);
}

/**
 * The inbox template and the event stream, plus resources/subscribe for both. Subscriptions belong to this
 * session (one McpServer per session) and are dropped when it closes; the shared notifier carries the
 * "something changed" signal from whichever session stored the mail.
 */
/**
 * Inbox and event updates for `subscriptions/listen`, with the same access checks as reads and subscribes. A
 * delegate acting for nobody in particular (the hub's own stream, which carries the inboxes of all its
 * clients) may watch any inbox: an update says only that something changed, and the hub may act for anyone
 * anyway; it reads each inbox as its owner before it watches it for them.
 */
export function routerChanges(notifier: Notifier): ChangeFeed {
  return {
    lists: [],
    resources: true,
    onListChanged: () => () => {},
    watchResource: (uri, caller, onUpdated) =>
      notifier.subscribe(channelFor(uri, caller, caller.scopes.includes(DELEGATE_SCOPE)), onUpdated),
  };
}

export function registerResources(server: McpServer, router: Router, notifier: Notifier): void {
  server.registerResource(
    'inbox',
    new ResourceTemplate(`${INBOX_URI_PREFIX}{did}`, {
      // Each caller sees only its own inbox in the listing.
      list: (extra) => {
        const { did } = callerOf(extra);
        return {
          resources: did ? [{ uri: inboxUri(did), name: 'inbox', mimeType: 'application/json' }] : [],
        };
      },
    }),
    {
      title: 'Inbox',
      description:
        'Your waiting messages (first page, JSON). Subscribe to be told when mail arrives; only the owner ' +
        'may read or subscribe.',
      mimeType: 'application/json',
    },
    async (uri, _variables, ctx) => {
      const caller = callerOf(ctx);
      channelFor(uri.href, caller);
      const did = caller.did ?? '';
      const page = await router.fetchInbox(did, undefined, SNAPSHOT_SIZE);
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ did, ...page }) }],
      };
    },
  );

  server.registerResource(
    'events',
    EVENTS_URI,
    {
      title: 'System events',
      description: `The newest ${SNAPSHOT_SIZE} system events (JSON). Subscribe to be told of new ones; page with fetch_events.`,
      mimeType: 'application/json',
    },
    async (uri, ctx) => {
      channelFor(uri.href, callerOf(ctx));
      const page = await router.recentEvents(SNAPSHOT_SIZE);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(page) }] };
    },
  );

  // uri → its listener's remover, once live; the promise is stored first so a repeated subscribe waits.
  const watching = new Map<string, Promise<() => void>>();
  let closed = false;
  server.server.setRequestHandler('resources/subscribe', async (request, ctx: ServerContext) => {
    const { uri } = request.params;
    const channel = channelFor(uri, callerOf(ctx));
    let live = watching.get(uri);
    if (!live) {
      live = notifier.subscribe(channel, () => {
        if (server.isConnected()) server.server.sendResourceUpdated({ uri }).catch(() => {});
      });
      watching.set(uri, live);
    }
    const stop = await live;
    if (closed) stop();
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request) => {
    const live = watching.get(request.params.uri);
    watching.delete(request.params.uri);
    if (live) (await live)();
    return {};
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    closed = true;
    for (const live of watching.values()) void live.then((stop) => stop());
    watching.clear();
  };
}
