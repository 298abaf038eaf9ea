import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { WebSearchInput, WebSearchOutput, type WebSettings } from '../../../schemas/web/tools.ts';
import { webSearch } from '../domain/search.ts';

/** Registered only when a search provider is configured. */
export function registerWebSearch(
  server: McpServer,
  host: ToolHost,
  search: NonNullable<WebSettings['search']>,
): void {
  defineTool(server, host, {
    name: 'web_search',
    title: 'Search the web',
    description: `Searches the web through the configured ${search.provider} endpoint; returns titles, URLs and snippets.`,
    scope: 'read',
    input: WebSearchInput,
    output: WebSearchOutput,
    annotations: { readOnlyHint: true, openWorldHint: true },
    handler: async ({ query, limit }) => {
      const results = await webSearch(search, query, limit);
      return {
        structured: { provider: search.provider, query, results },
        text:
          results.map((r, i) => `${i + 1}. ${r.title} — ${r.url}\n   ${r.snippet}`).join('\n') ||
          'no results',
      };
    },
  });
}
