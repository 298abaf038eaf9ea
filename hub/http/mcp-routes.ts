import type { ViewName } from '../aggregate/aggregator.ts';
import { virtualView } from '../aggregate/tool-sets.ts';

/** An MCP path: every server (`/mcp`), one server (`/mcp/<server>`) or a virtual one (`/mcp/v/<name>`). */
export interface McpRoute {
  /** The name as it appears in the path, still percent-encoded; null for `/mcp`. */
  name: string | null;
  virtual: boolean;
}

// As express routes `/mcp`, `/mcp/:server` and `/mcp/v/:name`: any case, one optional trailing slash.
const ALL = /^\/mcp\/?$/i;
const SERVER = /^\/mcp\/([^/]+)\/?$/i;
const VIRTUAL = /^\/mcp\/v\/([^/]+)\/?$/i;

/** The path of a request target (origin form, or the absolute form a proxy may send); null if none. */
export function pathnameOf(url: string): string | null {
  if (!url.startsWith('/')) return URL.parse(url)?.pathname ?? null;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** The MCP route a path names, or null for any other path. */
export function mcpRoute(path: string): McpRoute | null {
  if (ALL.test(path)) return { name: null, virtual: false };
  const server = SERVER.exec(path);
  if (server) return { name: server[1] ?? '', virtual: false };
  const virtual = VIRTUAL.exec(path);
  return virtual ? { name: virtual[1] ?? '', virtual: true } : null;
}

/** The view a route serves; a name that is not valid percent-encoding throws a URIError, as express's did. */
export function viewOf(route: McpRoute): ViewName {
  if (route.name === null) return null;
  const name = route.name.includes('%') ? decodeURIComponent(route.name) : route.name;
  return route.virtual ? virtualView(name) : name;
}
