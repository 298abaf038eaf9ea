import type { McpServer } from '@modelcontextprotocol/server';
import { hasScope } from '../../../lib/mcp/caller.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { IssueAccessTokenInput, IssueAccessTokenOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';
import { tokenResponseView } from './views.ts';

export function registerIssueAccessToken(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'issue_access_token',
    title: 'Exchange a client assertion for an access token',
    description:
      'OAuth private_key_jwt (RFC 7523): an EdDSA JWT with iss = sub = the agent DID, aud = the token endpoint, ' +
      'a short exp and a fresh jti, signed by the DID’s current key, becomes a short-lived EdDSA access token. ' +
      'An admin caller (the hub’s authorization server) may bind it to an RFC 8707 resource URL as audience.',
    scope: 'public',
    input: IssueAccessTokenInput,
    output: IssueAccessTokenOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async (input, { caller }) => {
      const t = await deps.tokens.issueAccessToken({ ...input, resourceUrls: hasScope(caller, 'admin') });
      return {
        structured: tokenResponseView(t),
        text: `access token for ${t.subject} (${t.scopes.join(' ')}), expires in ${t.expiresIn} s`,
      };
    },
  });
}
