import { z } from 'zod';
import { PlexusError } from '../../lib/errors.ts';
import type { AddressCategory } from '../../lib/net/address-guard.ts';
import { guardedGet } from '../../servers/web/domain/guarded-get.ts';
import { RedirectUri } from './settings.ts';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client whose client_id is
 * an https URL publishes its metadata there and the hub fetches it — through the address guard (public
 * addresses only unless the operator grants more, connected to the address checked), without redirects,
 * within a size and a time cap — and keeps it as long as the response allows (at most a day).
 */
export const MetadataDocument = z.looseObject({
  client_id: z.string(),
  client_name: z.string().min(1).max(128),
  redirect_uris: z.array(RedirectUri).min(1).max(16),
  grant_types: z
    .array(z.enum(['authorization_code', 'refresh_token']))
    .min(1)
    .optional(),
  response_types: z
    .array(z.string())
    .refine((types) => types.includes('code'), 'must include code')
    .optional(),
  token_endpoint_auth_method: z
    .literal('none', 'must be none: a client known by its metadata document holds no secret here')
    .optional(),
  client_uri: z.url().max(2048).optional(),
});
export type MetadataDocument = z.infer<typeof MetadataDocument>;

export interface MetadataFetchOptions {
  allowAddresses: readonly AddressCategory[];
  timeoutMs: number;
  maxBytes: number;
  cacheSeconds: number;
}

const MAX_CACHE_SECONDS = 86_400;
const MAX_ENTRIES = 1000;

function refused(message: string): PlexusError {
  return new PlexusError('invalid', 'invalid_client_metadata', message);
}

/** Whether a client_id names a metadata document: an https URL with a path (the draft's requirement). */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!URL.canParse(clientId)) return false;
  const url = new URL(clientId);
  return url.protocol === 'https:' && url.pathname !== '/' && !url.hash && !url.username && !url.password;
}

/** Seconds a response may be kept: Cache-Control's max-age (no-store / no-cache: not at all), else the default. */
function lifetime(cacheControl: string | undefined, fallback: number): number {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/\b(no-store|no-cache)\b/.test(directives)) return 0;
  const maxAge = /\bmax-age=(\d+)/.exec(directives)?.[1];
  return Math.min(maxAge === undefined ? fallback : Number(maxAge), MAX_CACHE_SECONDS);
}

export class MetadataDocuments {
  readonly #options: MetadataFetchOptions;
  readonly #now: () => number;
  readonly #cache = new Map<string, { document: MetadataDocument; until: number }>();

  constructor(options: MetadataFetchOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  async get(clientId: string): Promise<MetadataDocument> {
    const cached = this.#cache.get(clientId);
    if (cached && cached.until > this.#now()) return cached.document;
    this.#cache.delete(clientId);
    const { document, seconds } = await this.#fetch(clientId);
    if (seconds > 0) {
      if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(clientId, { document, until: this.#now() + seconds * 1000 });
    }
    return document;
  }

  async #fetch(clientId: string): Promise<{ document: MetadataDocument; seconds: number }> {
    const { allowAddresses, timeoutMs, maxBytes } = this.#options;
    let response;
    try {
      response = await guardedGet(clientId, {
        allowCategories: allowAddresses,
        allowHosts: [],
        maxBytes,
        timeoutMs,
        maxRedirects: 0,
        userAgent: 'Plexus-hub (OAuth client metadata)',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw refused(`the client's metadata document ${clientId} could not be fetched: ${reason}`);
    }
    if (response.status !== 200)
      throw refused(`the client's metadata document ${clientId} answered HTTP ${response.status}`);
    if (response.truncated) throw refused(`the client's metadata document is larger than ${maxBytes} bytes`);
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(response.contentType))
      throw refused(`the client's metadata document is ${response.contentType || 'untyped'}, not JSON`);
    let json: unknown;
    try {
      json = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw refused(`the client's metadata document at ${clientId} is not valid JSON`);
    }
    const parsed = MetadataDocument.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw refused(
        `the client's metadata document: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      );
    }
    if (parsed.data.client_id !== clientId)
      throw refused(
        `the client's metadata document names client_id ${parsed.data.client_id}, not ${clientId}`,
      );
    return {
      document: parsed.data,
      seconds: lifetime(response.headers['cache-control'], this.#options.cacheSeconds),
    };
  }
}
