import { hasScope, SCOPES, type Scope } from '../../lib/mcp/caller.ts';
import { invalidScope } from './errors.ts';

/** Asked for refresh tokens (OpenID Connect's name); it grants nothing in a token itself. */
export const OFFLINE_ACCESS = 'offline_access';

/** What people see on the consent page for each scope. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  read: 'see: list tools, call read-only ones, read resources',
  write: 'act: call tools that change things (memory, messages, tasks, tools)',
  admin: 'administer: operator tools of every server',
};

/** Parses a `scope` parameter; unknown scopes are refused by name. Defaults to read and write. */
export function requestedScopes(scope: string | undefined): { scopes: Scope[]; offline: boolean } {
  const asked = [...new Set((scope ?? '').split(' ').filter(Boolean))];
  const unknown = asked.filter((s) => s !== OFFLINE_ACCESS && !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw invalidScope(
      `unknown scope ${unknown.join(', ')}; this hub has ${[...SCOPES, OFFLINE_ACCESS].join(', ')}`,
    );
  const scopes = asked.filter((s): s is Scope => s !== OFFLINE_ACCESS);
  return { scopes: scopes.length > 0 ? scopes : ['read', 'write'], offline: asked.includes(OFFLINE_ACCESS) };
}

/** The requested scopes every limit allows (admin implies write implies read). */
export function grantable(requested: readonly Scope[], ...limits: (readonly string[] | null)[]): Scope[] {
  return requested.filter((scope) =>
    limits.every((limit) => limit === null || hasScope({ subject: '', did: null, scopes: limit }, scope)),
  );
}
