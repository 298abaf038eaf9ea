import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/client';
import type { Jwks } from '../lib/auth/access-token.ts';
import type { IdentityKeys } from '../lib/crypto/identity-keys.ts';
import { ensurePersonRegistered } from '../lib/identity/person.ts';
import { toolErrorOf } from '../lib/mcp/result.ts';
import type { Upstream } from './upstream/upstream.ts';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** An OAuth error response (RFC 6749 §5.2) for the token endpoint. */
export interface TokenRequestError {
  status: number;
  error: string;
  description: string;
}

/** What the hub needs from the identity server, over its in-process or remote MCP link. */
export interface IdentityLink {
  issueAccessToken(request: {
    assertion: string;
    clientId: string | undefined;
    /** RFC 8707 `resource`, when the client named one; else identity's default audience. */
    audience: string | undefined;
    scope: string | undefined;
  }): Promise<IssuedToken | TokenRequestError>;
  /** A token for a DID the hub vouches for (a signed-in person, or a machine client acting as one). */
  issueDelegatedToken(request: {
    subject: string;
    scope: string;
    /** The resource the token is bound to. */
    audience: string;
    clientId: string;
    grantId?: string;
  }): Promise<IssuedToken>;
  jwks(): Promise<Jwks>;
  /** Whether the authority has revoked this DID (one it never registered is not revoked: it may register). */
  isRevoked(did: string): Promise<boolean>;
  createOperatorToken(
    name: string,
    scopes: string[],
    ttlSeconds: number,
  ): Promise<{ token: string; expires_at: number }>;
  /** Registers a person's DID (a hub user, the local user) unless it already is; true when it did now. */
  registerPerson(keys: IdentityKeys, name: string, now: number): Promise<boolean>;
}

export class IdentityToolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function rawCall(upstream: Upstream, name: string, args: Record<string, unknown>) {
  return upstream.callInternal((client: Client) =>
    client.request({ method: 'tools/call', params: { name, arguments: args } }),
  );
}

async function callTool(
  upstream: Upstream,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result = await rawCall(upstream, name, args);
  const failure = toolErrorOf(result);
  if (failure) {
    // An input error rendered as text: `MCP error -32602: <field>: <message>`.
    const input = /MCP error -32602: (?:([\w.]+): )?(.*)$/s.exec(failure.message);
    if (failure.code === 'invalid_params' && input) {
      const field = input[1];
      throw new IdentityToolError(
        `invalid_${field ?? 'input'}`,
        field ? `${field}: ${input[2]}` : (input[2] ?? ''),
      );
    }
    throw new IdentityToolError(failure.code, failure.message);
  }
  return (result.structuredContent ?? {}) as Record<string, unknown>;
}

/** The `sub` of an unverified JWT (identity verifies it; this only checks it names client_id). */
function subjectOf(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: unknown;
    };
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

function oauthErrorFor(code: string, message: string): TokenRequestError {
  if (/scope/.test(code)) return { status: 400, error: 'invalid_scope', description: message };
  if (/revoked|unknown_agent|not_registered|forbidden/.test(code)) {
    return { status: 400, error: 'unauthorized_client', description: message };
  }
  if (/assertion|signature|token|did|replay|audience|expired/.test(code)) {
    return { status: 401, error: 'invalid_client', description: message };
  }
  if (/invalid/.test(code)) return { status: 400, error: 'invalid_request', description: message };
  return { status: 503, error: 'temporarily_unavailable', description: message };
}

export function identityLink(upstream: Upstream): IdentityLink {
  return {
    async issueAccessToken({ assertion, clientId, audience, scope }) {
      if (clientId !== undefined && subjectOf(assertion) !== clientId) {
        return {
          status: 401,
          error: 'invalid_client',
          description: 'client_assertion subject does not match client_id',
        };
      }
      try {
        const issued = await callTool(upstream, 'issue_access_token', {
          assertion,
          ...(audience ? { audience } : {}),
          ...(scope ? { scope } : {}),
        });
        return issued as unknown as IssuedToken;
      } catch (error) {
        if (error instanceof IdentityToolError) return oauthErrorFor(error.code, error.message);
        if (error instanceof ProtocolError && error.code === (ProtocolErrorCode.InvalidParams as number)) {
          const data = error.data as { code?: unknown } | undefined;
          const mapped = oauthErrorFor(
            typeof data?.code === 'string' ? data.code : 'invalid_input',
            error.message,
          );
          return { ...mapped, description: error.message.replace(/^MCP error -?\d+: /, '') };
        }
        throw error;
      }
    },
    async issueDelegatedToken({ subject, scope, audience, clientId, grantId }) {
      const issued = await callTool(upstream, 'issue_delegated_token', {
        subject,
        scope,
        audience,
        client_id: clientId,
        ...(grantId ? { grant_id: grantId } : {}),
      });
      return issued as unknown as IssuedToken;
    },
    async jwks() {
      const result = await callTool(upstream, 'get_jwks', {});
      return { keys: (result['keys'] ?? []) as Jwks['keys'] };
    },
    async isRevoked(did) {
      try {
        return (await callTool(upstream, 'resolve_did', { did }))['revoked'] === true;
      } catch (error) {
        if (error instanceof IdentityToolError && error.code === 'did_not_found') return false;
        throw error;
      }
    },
    async createOperatorToken(name, scopes, ttlSeconds) {
      const result = await callTool(upstream, 'create_operator_token', {
        name,
        scopes,
        ttl_seconds: ttlSeconds,
      });
      return result as { token: string; expires_at: number };
    },
    registerPerson(keys, name, now) {
      return ensurePersonRegistered((tool, args) => rawCall(upstream, tool, args), keys, name, now);
    },
  };
}
