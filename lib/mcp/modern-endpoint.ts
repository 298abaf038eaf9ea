import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  classifyInboundRequest,
  createMcpHandler,
  type AuthInfo,
  type Implementation,
  type InboundClassificationOutcome,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import type { Logger } from '../log.ts';
import { headerOf } from './http-guard.ts';
import type { Caller } from './caller.ts';
import type { ChangeFeed } from './change-feed.ts';
import { serveListenHttp } from './listen-channels.ts';
import { Listens } from './listen.ts';

/**
 * Which era an HTTP request belongs to, by the SDK's own classification (the same code its serving entry
 * runs): `legacy` for 2025-era traffic (sessions, `initialize`, GET/DELETE), `modern` for a 2026-07-28
 * request whose envelope and `Mcp-Method`/`Mcp-Name` headers agree with the body, or a rejection the modern
 * path answers.
 */
export function classifyHttp(req: IncomingMessage, body: unknown): InboundClassificationOutcome {
  return classifyInboundRequest({
    httpMethod: req.method ?? '',
    protocolVersionHeader: headerOf(req, 'mcp-protocol-version'),
    mcpMethodHeader: headerOf(req, 'mcp-method'),
    mcpNameHeader: headerOf(req, 'mcp-name'),
    body: req.method === 'POST' ? body : undefined,
  });
}

export interface ModernEndpoint {
  /** Serves one request the classification did not route to legacy serving; `body` as parsed, if it was. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    auth: AuthInfo,
    caller: Caller,
    outcome: InboundClassificationOutcome,
  ): Promise<void>;
  close(): Promise<void>;
}

export interface ModernEndpointOptions {
  /** Change events for `subscriptions/listen`; without one, a listen is acknowledged empty and ends. */
  changes?: ChangeFeed | undefined;
  serverInfo: Implementation;
  bodyBytes: number;
  log: Logger;
}

/**
 * The 2026-07-28 side of an endpoint: stateless, one server instance from `factory` per request, nothing
 * kept between requests. `subscriptions/listen` is served from the change feed here (with the caller's
 * access checked per watched resource) rather than by the SDK, whose listen streams cannot ask who may watch
 * a resource.
 */
export function modernEndpoint(factory: McpServerFactory, options: ModernEndpointOptions): ModernEndpoint {
  const onerror = (error: Error) => options.log.debug({ err: error.message }, 'modern request refused');
  const handler = createMcpHandler(factory, {
    legacy: 'reject',
    maxRequestBodySize: options.bodyBytes,
    onerror,
  });
  const node = toNodeHandler(handler, { maxRequestBodySize: options.bodyBytes, onerror });
  const listens = new Listens(options.changes, options.serverInfo);
  return {
    async serve(req, res, body, auth, caller, outcome) {
      if (
        outcome.kind === 'modern' &&
        outcome.messageKind === 'request' &&
        outcome.message.method === 'subscriptions/listen'
      ) {
        await serveListenHttp(listens, outcome.message, caller, res);
        return;
      }
      (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
      await node(req, res, body);
    },
    async close() {
      listens.closeAll();
      await handler.close();
    },
  };
}
