import type { Jwks } from '../lib/auth/access-token.ts';
import { leasedCaller } from '../lib/clients/call-tool.ts';
import { ToolError } from '../lib/clients/errors.ts';
import { identityClient } from '../lib/clients/identity.ts';
import type { IdentityKeys } from '../lib/crypto/identity-keys.ts';
import { ensurePersonRegistered } from '../lib/identity/person.ts';
import { revocationText } from '../lib/identity/revocation.ts';
import type { Scope } from '../lib/mcp/caller.ts';
import type {
  CreateOperatorTokenOutput,
  IssueAccessTokenOutput,
  RevokeIdentityAsOperatorOutput,
} from '../schemas/identity/tools.ts';
import type { Upstream } from './upstream/upstream.ts';

/** An access token as identity issues it (for an agent's assertion, or for a DID the hub vouches for). */
export type IssuedToken = IssueAccessTokenOutput;

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
  /**
   * Why the authority refuses this DID — who revoked it and why —, or null while it stands (one it never
   * registered stands: it may register).
   */
  revocation(did: string): Promise<string | null>;
  /**
   * Revokes a DID in the identity server on an operator's word; identity checks the admin scope and records
   * who from `operator`, the signed-in person the hub acts for.
   */
  revokeAsOperator(
    did: string,
    reason: string,
    operator: { subject: string; scopes: readonly string[] },
  ): Promise<RevokeIdentityAsOperatorOutput>;
  createOperatorToken(name: string, scopes: Scope[], ttlSeconds: number): Promise<CreateOperatorTokenOutput>;
  /** Registers a person's DID (a hub user, the local user) unless it already is; true when it did now. */
  registerPerson(keys: IdentityKeys, name: string, now: number): Promise<boolean>;
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
  const identity = identityClient(leasedCaller((use) => upstream.callInternal(use)));
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
        return await identity.issueAccessToken({
          assertion,
          ...(audience ? { audience } : {}),
          ...(scope ? { scope } : {}),
        });
      } catch (error) {
        if (error instanceof ToolError) {
          // A malformed request names its field in the code, as OAuth clients read it.
          const code = error.code === 'invalid_params' && error.field ? `invalid_${error.field}` : error.code;
          return oauthErrorFor(code, error.message);
        }
        throw error;
      }
    },
    issueDelegatedToken({ subject, scope, audience, clientId, grantId }) {
      return identity.issueDelegatedToken({
        subject,
        scope,
        audience,
        client_id: clientId,
        ...(grantId ? { grant_id: grantId } : {}),
      });
    },
    jwks() {
      return identity.getJwks({});
    },
    async revocation(did) {
      try {
        const resolved = await identity.resolveDid({ did });
        return resolved.revoked ? revocationText(did, resolved.revoked_by, resolved.revocation_reason) : null;
      } catch (error) {
        if (error instanceof ToolError && error.code === 'did_not_found') return null;
        throw error;
      }
    },
    revokeAsOperator(did, reason, operator) {
      return identity.revokeIdentityAsOperator({ did, reason }, { caller: operator });
    },
    createOperatorToken(name, scopes, ttlSeconds) {
      return identity.createOperatorToken({ name, scopes, ttl_seconds: ttlSeconds });
    },
    registerPerson(keys, name, now) {
      return ensurePersonRegistered(identity, keys, name, now);
    },
  };
}
