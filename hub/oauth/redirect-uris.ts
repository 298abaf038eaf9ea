/**
 * Redirect URIs (OAuth 2.1 §2.3.1, RFC 8252 §7.3, MCP security considerations): https, or http on a
 * loopback host for apps on the user's own computer; no fragment. A request must name a registered URI
 * exactly, except that a loopback URI may use any port (native apps get a free port at run time).
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackRedirect(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Why `value` cannot be a redirect URI, or null. */
export function checkRedirectUri(value: string): string | null {
  if (!URL.canParse(value)) return `'${value}' is not an absolute URL`;
  const url = new URL(value);
  if (value.includes('#')) return `'${value}' has a fragment`;
  if (url.protocol !== 'https:' && !isLoopbackRedirect(url))
    return `'${value}' must use https, or http on localhost / 127.0.0.1 / [::1]`;
  if (url.username || url.password) return `'${value}' must not carry credentials`;
  return null;
}

/** Whether `requested` is one of `registered` (loopback: any port). */
export function redirectUriAllowed(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  if (!URL.canParse(requested)) return false;
  const asked = new URL(requested);
  if (!isLoopbackRedirect(asked)) return false;
  return registered.some((entry) => {
    if (!URL.canParse(entry)) return false;
    const known = new URL(entry);
    known.port = asked.port;
    return isLoopbackRedirect(known) && known.href === asked.href;
  });
}
