import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { IssueDelegatedTokenInput, IssueDelegatedTokenOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';
import { tokenResponseView } from './views.ts';

export function registerIssueDelegatedToken(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'issue_delegated_token',
    title: 'Issue an access token for a DID the hub vouches for',
    description:
      'For the hub’s authorization server: a short-lived EdDSA access token whose subject is a DID the hub ' +
      'authenticated (a person who signed in, or a machine client acting as one), bound to a resource, ' +
      'naming the client and the grant. Refused for a revoked DID.',
    scope: 'admin',
    input: IssueDelegatedTokenInput,
    output: IssueDelegatedTokenOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async (input) => {
      const t = await deps.tokens.issueDelegatedToken({
        subject: input.subject,
        scope: input.scope,
        audience: input.audience,
        clientId: input.client_id,
        grantId: input.grant_id,
      });
      return {
        structured: tokenResponseView(t),
        text: `access token for ${t.subject} via ${input.client_id} (${t.scopes.join(' ')}), expires in ${t.expiresIn} s`,
      };
    },
  });
}
