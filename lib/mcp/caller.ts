import { ProtocolError, ProtocolErrorCode, type AuthInfo } from '@modelcontextprotocol/server';

/**
 * Who is calling a tool. Tools take access decisions from this, never from a DID passed as an argument.
 *
 * Where it comes from:
 * - a server's own bearer-token check (standalone `plexus serve <name>`) sets `authInfo` with
 *   `clientId` = the token's subject (an agent DID, or `operator:<name>`) and its scopes;
 * - the hub, which authenticates clients itself, talks to its upstreams with `plexus:delegate` scope and
 *   names the real caller in the request's `_meta[CALLER_META_KEY]`. Only a delegate may do that, and a
 *   delegated caller can never hold more scopes than the delegate itself.
 */
export interface Caller {
  /** Agent DID or `operator:<name>`; `anonymous` when the server runs without auth. */
  subject: string;
  /** The agent DID when the caller is an agent, else null. */
  did: string | null;
  scopes: readonly string[];
}

export const CALLER_META_KEY = 'io.plexus/caller';
export const DELEGATE_SCOPE = 'plexus:delegate';
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ANONYMOUS: Caller = { subject: 'anonymous', did: null, scopes: [] };

/** The parts of an SDK handler context that say who is calling. */
export interface CallerContext {
  http?: { authInfo?: AuthInfo | undefined } | undefined;
  mcpReq?: { _meta?: Record<string, unknown> | undefined } | undefined;
}

function callerFrom(subject: string, scopes: readonly string[]): Caller {
  return { subject, did: subject.startsWith('did:') ? subject : null, scopes };
}

export function callerOf(ctx: CallerContext): Caller {
  const auth = ctx.http?.authInfo;
  if (!auth) return ANONYMOUS;
  const forwarded = ctx.mcpReq?._meta?.[CALLER_META_KEY];
  if (auth.scopes.includes(DELEGATE_SCOPE) && forwarded !== undefined) {
    if (typeof forwarded !== 'object' || forwarded === null) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `_meta.${CALLER_META_KEY} must be an object`);
    }
    const { subject, scopes } = forwarded as { subject?: unknown; scopes?: unknown };
    if (
      typeof subject !== 'string' ||
      !Array.isArray(scopes) ||
      !scopes.every((s) => typeof s === 'string')
    ) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `_meta.${CALLER_META_KEY} needs subject and scopes`,
      );
    }
    // A delegate narrows, never widens: the caller keeps only scopes the delegate also holds.
    return callerFrom(
      subject,
      scopes.filter((s) => s !== DELEGATE_SCOPE && auth.scopes.includes(s)),
    );
  }
  return callerFrom(auth.clientId, auth.scopes);
}

/** How a caller without a DID gets one, named in the refusal. */
export const IDENTITY_HINT =
  'sign in to the hub with OAuth as a hub user (plexus user add), connect as an agent with its DID ' +
  '(private_key_jwt at /oauth/token), or run the server over stdio as the local user; operator tokens carry none';

/** The caller's DID, or a ProtocolError saying which sign-in gives one. */
export function requireAgent(caller: Caller): string {
  if (!caller.did) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRequest,
      `this tool needs a caller with an identity (a DID), and ${caller.subject} has none: ${IDENTITY_HINT}`,
    );
  }
  return caller.did;
}

export function hasScope(caller: Caller, scope: Scope): boolean {
  // admin implies write implies read.
  const rank = SCOPES.indexOf(scope);
  return caller.scopes.some((s) => {
    const held = SCOPES.indexOf(s as Scope);
    return held >= rank;
  });
}
