import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import type { Notifier } from './domain/notifier.ts';
import type { Router } from './domain/router.ts';
import { registerResources } from './resources.ts';
import { registerAckMessages } from './tools/ack-messages.ts';
import { registerFetchEvents } from './tools/fetch-events.ts';
import { registerGetInboxDepths } from './tools/get-inbox-depths.ts';
import { registerFetchInbox } from './tools/fetch-inbox.ts';
import { registerPublish } from './tools/publish.ts';
import { registerPublishEvent } from './tools/publish-event.ts';
import { registerReceiveMessages } from './tools/receive-messages.ts';
import { registerSendMessage } from './tools/send-message.ts';
import { registerSendMessages } from './tools/send-messages.ts';
import { registerSubscribeTopic } from './tools/subscribe-topic.ts';
import { registerUnsubscribeTopic } from './tools/unsubscribe-topic.ts';

export interface RouterServerDeps {
  router: Router;
  notifier: Notifier;
  maxBatch: number;
  /** Whether receive_messages offers follow_ms (pages streamed on an open call). */
  follow: boolean;
  log: Logger;
}

/** One MCP session's server over the shared router state. */
export function buildServer(deps: RouterServerDeps): McpServer {
  const server = new McpServer(
    { name: 'plexus-router', version: '0.1.0' },
    { capabilities: { tools: {}, resources: { subscribe: true, listChanged: false } } },
  );
  const host = { log: deps.log };
  const { router } = deps;
  registerSendMessage(server, host, router);
  registerSendMessages(server, host, router, deps.maxBatch);
  registerPublish(server, host, router);
  registerFetchInbox(server, host, router);
  registerAckMessages(server, host, router);
  registerReceiveMessages(server, host, router, { follow: deps.follow });
  registerSubscribeTopic(server, host, router);
  registerUnsubscribeTopic(server, host, router);
  registerPublishEvent(server, host, router);
  registerFetchEvents(server, host, router);
  registerGetInboxDepths(server, host, router);
  registerResources(server, router, deps.notifier);
  return server;
}
