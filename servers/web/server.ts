import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import type { Lookup } from '../../lib/net/address-guard.ts';
import type { WebSettings } from '../../schemas/web/tools.ts';
import { registerFetchUrl } from './tools/fetch-url.ts';
import { registerWebSearch } from './tools/web-search.ts';

export interface WebDeps {
  settings: WebSettings;
  log: Logger;
  /** DNS resolution; the system resolver unless a test injects one. */
  lookup?: Lookup;
}

export function buildServer(deps: WebDeps): McpServer {
  const server = new McpServer({ name: 'plexus-web', version: '0.1.0' });
  const host = { log: deps.log };
  registerFetchUrl(server, host, deps.settings, deps.lookup);
  if (deps.settings.search) registerWebSearch(server, host, deps.settings.search);
  return server;
}
