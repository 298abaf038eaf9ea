import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import {
  RevokeIdentityAsOperatorInput,
  RevokeIdentityAsOperatorOutput,
} from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logHead } from './views.ts';

export function registerRevokeIdentityAsOperator(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'revoke_identity_as_operator',
    title: 'Revoke an identity as an operator',
    description:
      'Revokes a registered DID for good on an operator’s word (admin scope), for a key that is lost, stolen or ' +
      'misused: recorded in its identity log with the operator and the reason, and published as ' +
      'identity.revoked. Everywhere in the network it is then refused as after its own revocation.',
    scope: 'admin',
    input: RevokeIdentityAsOperatorInput,
    output: RevokeIdentityAsOperatorOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    // The operator is who the verified token says is calling, never a name passed in.
    handler: async ({ did, reason }, { caller }) => {
      const state = await deps.identities.revokeByOperator(did, reason, caller.subject);
      return {
        structured: {
          did,
          revoked: true as const,
          revoked_at: state.revokedAt ?? state.updatedAt,
          log_head: logHead(state),
          revoked_by: caller.subject,
        },
        text: `${did} revoked by ${caller.subject}: ${reason}`,
      };
    },
  });
}
