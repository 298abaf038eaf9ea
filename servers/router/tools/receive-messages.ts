import type { McpServer } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { defineTool, type ToolContext, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import {
  INBOX_PAGE_META_KEY,
  ReceiveMessagesInput,
  ReceiveMessagesOutput,
} from '../../../schemas/router/tools.ts';
import type { InboxPage, Router } from '../domain/router.ts';

const DESCRIPTION =
  'Removes the messages you name in `ack` (the ones you handled from the previous page) from your own ' +
  'inbox, then returns the messages waiting at its head (or after `cursor`): urgent and high priority ' +
  'first, then in arrival order. When none wait, it waits up to `wait_ms` for mail.';
/** How long a following call that handed pages on stays open without more mail: its acks wait for its end. */
const FOLLOW_QUIET_MS = 1_000;
const FOLLOW =
  ' With `follow_ms` and a progressToken it stays open instead, sending each page as a progress ' +
  `notification as it arrives (the page in _meta['${INBOX_PAGE_META_KEY}']), up to \`limit\` messages in all; ` +
  `once it has sent a page it ends after ${FOLLOW_QUIET_MS} ms without more mail, so your acks can go out.`;
const AT_LEAST_ONCE =
  ' Messages you do not ack come again on the next call from the head, so a lost answer loses nothing.';

/**
 * The inbox in one call per page: it acks what the caller handled from the last page, then answers with the
 * next one, waiting for mail when there is none — or, following, stays open and streams each page as it
 * comes. It removes messages, so it needs `write` (fetch_inbox, which only reads, stays `read`). Without
 * `follow`, the tool is as it was before `follow_ms` (the input not listed, the call a long poll).
 */
export function registerReceiveMessages(
  server: McpServer,
  host: ToolHost,
  router: Router,
  options: { follow: boolean },
): void {
  const spec = {
    name: 'receive_messages',
    title: 'Receive messages (ack the last page, wait for the next)',
    scope: 'write' as const,
    output: ReceiveMessagesOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  };
  if (options.follow) {
    defineTool(server, host, {
      ...spec,
      description: DESCRIPTION + FOLLOW + AT_LEAST_ONCE,
      input: ReceiveMessagesInput,
      handler: (args, ctx) => receive(router, args, ctx),
    });
  } else {
    defineTool(server, host, {
      ...spec,
      description: DESCRIPTION + AT_LEAST_ONCE,
      input: ReceiveMessagesInput.omit({ follow_ms: true }),
      handler: (args, ctx) => receive(router, { ...args, follow_ms: 0 }, ctx),
    });
  }
}

async function receive(
  router: Router,
  { ack, cursor, limit, wait_ms, follow_ms }: z.output<typeof ReceiveMessagesInput>,
  { caller, signal, progress }: ToolContext,
): Promise<{ structured: z.output<typeof ReceiveMessagesOutput>; text: string }> {
  const request = {
    ack,
    limit,
    // Without a progress token there is nowhere to send pages: the call answers the first, as a wait.
    waitMs: progress ? wait_ms : Math.max(wait_ms, follow_ms),
    ...(cursor === undefined ? {} : { cursor }),
    ...(progress && follow_ms > 0
      ? { follow: { ms: follow_ms, quietMs: FOLLOW_QUIET_MS, page: pageSender(progress) } }
      : {}),
  };
  const page = await router.receive(requireAgent(caller), request, signal);
  return {
    structured: page,
    text: `${page.messages.length} message(s)${page.more ? ', more waiting' : ''}; acked ${page.acked}`,
  };
}

/** Sends each page a following receive finds as a progress notification, `progress` counting its messages. */
function pageSender(progress: NonNullable<ToolContext['progress']>): (page: InboxPage) => Promise<void> {
  let sent = 0;
  return (page) => {
    sent += page.messages.length;
    return progress({
      progress: sent,
      message: `${page.messages.length} message(s)`,
      _meta: { [INBOX_PAGE_META_KEY]: page },
    });
  };
}
