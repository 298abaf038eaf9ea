import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { RevokeIdentityInput, RevokeIdentityOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logHead } from './views.ts';

export function registerRevokeIdentity(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'revoke_identity',
    title: 'Revoke an identity',
    description:
      'Revokes a DID for good with a statement signed by its current key. Afterwards its signatures no longer ' +
      'verify, it cannot get tokens and nothing more is accepted for it.',
    scope: 'write',
    input: RevokeIdentityInput,
    output: RevokeIdentityOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async ({ statement }) => {
      const state = await deps.identities.revoke(statement);
      return {
        structured: {
          did: state.did,
          revoked: true as const,
          revoked_at: state.revokedAt ?? state.updatedAt,
          log_head: logHead(state),
        },
        text: `${state.did} revoked`,
      };
    },
  });
}
