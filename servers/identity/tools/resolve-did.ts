import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ResolveDidInput, ResolveDidOutput } from '../../../schemas/identity/tools.ts';
import { didDocument } from '../domain/did-document.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logHead } from './views.ts';

export function registerResolveDid(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'resolve_did',
    title: 'Resolve a DID',
    description:
      'The current DID document (current signing and key-agreement keys), Agent Card and revocation status.',
    scope: 'read',
    input: ResolveDidInput,
    output: ResolveDidOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ did }) => {
      const state = await deps.identities.resolve(did);
      return {
        structured: {
          did,
          document: didDocument(state),
          card: state.card,
          revoked: state.revoked,
          revoked_at: state.revokedAt,
          ...(state.revokedBy ? { revoked_by: state.revokedBy } : {}),
          ...(state.revocationReason ? { revocation_reason: state.revocationReason } : {}),
          key: state.key,
          log_head: logHead(state),
          updated_at: state.updatedAt,
        },
        text: `${did}: ${state.card.name} (${state.card.role})${state.revoked ? ', REVOKED' : ''}`,
      };
    },
  });
}
