import type { McpServer } from '@modelcontextprotocol/server';
import { PlexusError } from '../../../lib/errors.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { VerifyAccessTokenInput, VerifyAccessTokenOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerVerifyAccessToken(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'verify_access_token',
    title: 'Verify an access token',
    description:
      'Token introspection: whether an access token is active (signature, issuer, audience, expiry, and the ' +
      'subject DID not revoked), with its subject, scopes and expiry.',
    scope: 'public',
    input: VerifyAccessTokenInput,
    output: VerifyAccessTokenOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ token }) => {
      try {
        const c = await deps.tokens.verify(token);
        return {
          structured: {
            active: true,
            subject: c.subject,
            scopes: c.scopes,
            expires_at: c.expiresAt,
            jti: c.jti,
          },
          text: `active: ${c.subject} (${c.scopes.join(' ')})`,
        };
      } catch (error) {
        if (!(error instanceof PlexusError)) throw error;
        return { structured: { active: false, reason: error.code }, text: `inactive: ${error.code}` };
      }
    },
  });
}
