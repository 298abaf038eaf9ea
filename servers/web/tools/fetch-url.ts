import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import type { Lookup } from '../../../lib/net/address-guard.ts';
import { FetchUrlInput, FetchUrlOutput, type WebSettings } from '../../../schemas/web/tools.ts';
import { guardedGet } from '../domain/guarded-get.ts';
import { htmlToReadable } from '../domain/readable.ts';

export function registerFetchUrl(
  server: McpServer,
  host: ToolHost,
  settings: WebSettings,
  lookup?: Lookup,
): void {
  defineTool(server, host, {
    name: 'fetch_url',
    title: 'Fetch a web page',
    description:
      'Fetches an http(s) URL and returns readable text (HTML reduced to its content) or the raw body. Private, loopback and metadata addresses are refused.',
    scope: 'read',
    input: FetchUrlInput,
    output: FetchUrlOutput,
    annotations: { readOnlyHint: true, openWorldHint: true },
    handler: async ({ url, format, max_chars }, { signal }) => {
      const f = settings.fetch;
      const response = await guardedGet(url, {
        allowCategories: f.allow_categories,
        allowHosts: f.allow_hosts,
        maxBytes: f.max_bytes,
        timeoutMs: f.timeout_ms,
        maxRedirects: f.max_redirects,
        userAgent: f.user_agent,
        lookup,
        signal: signal,
      });
      const raw = response.body.toString('utf8');
      const isHtml = /html/i.test(response.contentType) || /^\s*<(!doctype html|html)/i.test(raw);
      const page = format === 'text' && isHtml ? htmlToReadable(raw) : { title: null, text: raw };
      const text = page.text.slice(0, max_chars);
      const structured = {
        url,
        final_url: response.finalUrl,
        status: response.status,
        content_type: response.contentType,
        title: page.title,
        text,
        truncated: response.truncated || page.text.length > max_chars,
        bytes: response.body.length,
      };
      return {
        structured,
        text: `${response.status} ${page.title ?? response.finalUrl} (${text.length} chars)\n\n${text}`,
      };
    },
  });
}
