import { z } from 'zod';
import { PlexusError } from '../../../lib/errors.ts';
import type { SearchResult, WebSettings } from '../../../schemas/web/tools.ts';

type SearchSettings = NonNullable<WebSettings['search']>;

const SearxngResponse = z.object({
  results: z.array(
    z.object({ title: z.string().default(''), url: z.string(), content: z.string().default('') }),
  ),
});
const BraveResponse = z.object({
  web: z
    .object({
      results: z.array(
        z.object({ title: z.string().default(''), url: z.string(), description: z.string().default('') }),
      ),
    })
    .default({ results: [] }),
});

function request(
  settings: SearchSettings,
  query: string,
  limit: number,
): { url: URL; headers: Record<string, string> } {
  if (settings.provider === 'searxng') {
    const url = new URL('search', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
    url.search = new URLSearchParams({ q: query, format: 'json' }).toString();
    return { url, headers: { accept: 'application/json' } };
  }
  if (!settings.api_key)
    throw new PlexusError('unavailable', 'search_misconfigured', 'Brave search needs search.api_key');
  const url = new URL(settings.url);
  url.search = new URLSearchParams({ q: query, count: String(Math.min(limit, 20)) }).toString();
  return { url, headers: { accept: 'application/json', 'x-subscription-token': settings.api_key } };
}

/** Web search through the operator's SearXNG instance or the Brave Search API. */
export async function webSearch(
  settings: SearchSettings,
  query: string,
  limit: number,
  fetchImpl: typeof fetch = fetch,
): Promise<SearchResult[]> {
  const { url, headers } = request(settings, query, limit);
  let response: Response;
  try {
    response = await fetchImpl(url, { headers, signal: AbortSignal.timeout(settings.timeout_ms) });
  } catch (error) {
    throw new PlexusError(
      'unavailable',
      'search_unreachable',
      `${settings.provider} at ${url.host}: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new PlexusError(
      'unavailable',
      'search_failed',
      `${settings.provider} answered HTTP ${response.status}`,
      {
        hint:
          response.status === 403 && settings.provider === 'searxng'
            ? 'enable the json format in SearXNG settings'
            : undefined,
      },
    );
  }
  const body: unknown = await response.json();
  if (settings.provider === 'searxng') {
    return SearxngResponse.parse(body)
      .results.slice(0, limit)
      .map((r) => ({ title: r.title, url: r.url, snippet: r.content }));
  }
  return BraveResponse.parse(body)
    .web.results.slice(0, limit)
    .map((r) => ({ title: r.title, url: r.url, snippet: r.description }));
}
