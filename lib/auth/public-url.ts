/**
 * The one URL a deployment is reached at (`PLEXUS_PUBLIC_URL`, `publicUrl` in plexus.json): the hub's OAuth
 * issuer, its resources' audiences and protected-resource metadata, the client-assertion audiences identity
 * accepts and the Host names the hub serves all follow from it.
 */

/** Where the hub's authorization server takes token requests, under the public URL. */
export const TOKEN_PATH = '/oauth/token';

/**
 * The public URL without a trailing slash, or a reason it cannot be one: http(s) only, an origin with no path
 * (the hub serves from its root; a proxy mounting it under a path would break every URL it hands out), no
 * query, fragment or credentials.
 */
export function publicUrlProblem(value: string): string | null {
  if (!URL.canParse(value)) return `'${value}' is not a URL`;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `'${value}' must be http:// or https://`;
  if (url.username || url.password) return `'${value}' must not carry credentials`;
  if (url.search || url.hash) return `'${value}' must not have a query or fragment`;
  if (url.pathname !== '/') return `'${value}' must be an origin with no path (got path ${url.pathname})`;
  return null;
}

/** The canonical form every derived URL is built from: `scheme://host[:port]`, no trailing slash. */
export function canonicalPublicUrl(value: string): string {
  return new URL(value).origin;
}

/** Audiences a client assertion addressed to this hub may carry: its issuer URL and its token endpoint. */
export function assertionAudiences(publicUrl: string): string[] {
  const base = canonicalPublicUrl(publicUrl);
  return [base, `${base}${TOKEN_PATH}`];
}
