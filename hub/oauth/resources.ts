/**
 * The hub's protected resources (RFC 8707 / RFC 9728): `<public URL>/mcp`, everything, and
 * `<public URL>/mcp/<server>`, one server each, and `<public URL>/mcp/v/<name>`, each virtual server. A token
 * bound to one is refused at every other.
 */
export class HubResources {
  readonly publicUrl: string;
  readonly #mounted: (name: string) => boolean;

  constructor(publicUrl: string, mounted: (name: string) => boolean) {
    this.publicUrl = publicUrl;
    this.#mounted = mounted;
  }

  /** The resource URL of a view: null for the aggregate, a mount name for one server. */
  of(view: string | null): string {
    return view === null ? `${this.publicUrl}/mcp` : `${this.publicUrl}/mcp/${view}`;
  }

  /** Where the RFC 9728 metadata of a view's resource is published. */
  metadataUrl(view: string | null): string {
    return `${this.publicUrl}/.well-known/oauth-protected-resource${view === null ? '/mcp' : `/mcp/${view}`}`;
  }

  /**
   * The resource a client named, as this hub spells it, or null when it is none of ours. Scheme and host
   * compare case-insensitively and a trailing slash is ignored (MCP: accept, don't require, the canonical
   * form); anything else must match.
   */
  find(requested: string): string | null {
    if (!URL.canParse(requested) || requested.includes('#')) return null;
    const base = canonical(this.publicUrl);
    const asked = canonical(requested);
    if (asked === `${base}/mcp`) return this.of(null);
    const prefix = `${base}/mcp/`;
    if (!asked.startsWith(prefix)) return null;
    const name = asked.slice(prefix.length);
    return /^(?:v\/)?[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) && this.#mounted(name) ? this.of(name) : null;
  }
}

function canonical(value: string): string {
  const url = new URL(value);
  url.search = '';
  return url.href.replace(/\/+$/, '');
}
