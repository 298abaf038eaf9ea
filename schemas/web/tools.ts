import { z } from 'zod';

const Category = z.enum([
  'loopback',
  'private',
  'link-local',
  'shared',
  'multicast',
  'reserved',
  'unspecified',
]);

export const WebSettings = z.object({
  fetch: z
    .object({
      /** Non-public address ranges fetch_url may reach (none by default; metadata endpoints never). */
      allow_categories: z.array(Category).default([]),
      /** When non-empty, fetch_url reaches only these hosts (`host`, `host:port`, `*.domain`). */
      allow_hosts: z.array(z.string().min(1)).default([]),
      max_bytes: z
        .number()
        .int()
        .min(1024)
        .max(50 * 1024 * 1024)
        .default(2 * 1024 * 1024),
      timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
      max_redirects: z.number().int().min(0).max(20).default(5),
      user_agent: z.string().default('PlexusWeb/0.1 (+https://github.com/plexus)'),
    })
    .prefault({}),
  search: z
    .object({
      provider: z.enum(['searxng', 'brave']),
      /** SearXNG base URL, or the Brave Search API endpoint. Operator-configured, so not address-guarded. */
      url: z.url(),
      api_key: z.string().optional(),
      timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    })
    .optional(),
});
export type WebSettings = z.infer<typeof WebSettings>;

export const FetchUrlInput = z.object({
  url: z.url({ protocol: /^https?$/ }).describe('http(s) URL to fetch'),
  format: z
    .enum(['text', 'raw'])
    .default('text')
    .describe('text: readable text from HTML; raw: the body as is'),
  max_chars: z.number().int().min(100).max(1_000_000).default(50_000),
});
export const FetchUrlOutput = z.object({
  url: z.string(),
  final_url: z.string(),
  status: z.number().int(),
  content_type: z.string(),
  title: z.string().nullable(),
  text: z.string(),
  truncated: z.boolean(),
  bytes: z.number().int(),
});
export type FetchUrlOutput = z.infer<typeof FetchUrlOutput>;

export const WebSearchInput = z.object({
  query: z.string().min(1).max(500),
  limit: z.number().int().min(1).max(50).default(10),
});
export const SearchResult = z.object({ title: z.string(), url: z.string(), snippet: z.string() });
export type SearchResult = z.infer<typeof SearchResult>;
export const WebSearchOutput = z.object({
  provider: z.string(),
  query: z.string(),
  results: z.array(SearchResult),
});
