import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Jwks } from '../lib/auth/access-token.ts';
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
    audience: string;
    scope: string | undefined;
  }): Promise<IssuedToken | TokenRequestError>;
  jwks(): Promise<Jwks>;
  createOperatorToken(
    name: string,
    scopes: string[],
    ttlSeconds: number,
  ): Promise<{ token: string; expires_at: number }>;
}

class IdentityToolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

async function callTool(
  upstream: Upstream,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result = await upstream.callInternal((client: Client) =>
    client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema),
  );
  const structured = (result.structuredContent ?? {});
  if (result.isError) {
    const error = (structured['error'] ?? {}) as { code?: unknown; message?: unknown };
    const text = result.content.find((c) => c.type === 'text');
    throw new IdentityToolError(
      typeof error.code === 'string' ? error.code : 'identity_error',
      typeof error.message === 'string'
        ? error.message
        : text && 'text' in text
          ? String(text.text)
          : `${name} failed`,
    );
  }
  return structured;
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
          audience,
          ...(scope ? { scope } : {}),
        });
        return issued as unknown as IssuedToken;
      } catch (error) {
        if (error instanceof IdentityToolError) return oauthErrorFor(error.code, error.message);
        const message = error instanceof Error ? error.message : String(error);
        if (/InvalidParams|-32602/.test(message) || (error as { code?: unknown }).code === -32602) {
          return {
            status: 400,
            error: 'invalid_request',
            description: message.replace(/^MCP error -?\d+: /, ''),
          };
        }
        throw error;
      }
    },
    async jwks() {
      const result = await callTool(upstream, 'get_jwks', {});
      return { keys: (result['keys'] ?? []) as Jwks['keys'] };
    },
    async createOperatorToken(name, scopes, ttlSeconds) {
      const result = await callTool(upstream, 'create_operator_token', {
        name,
        scopes,
        ttl_seconds: ttlSeconds,
      });
      return result as { token: string; expires_at: number };
    },
  };
}
