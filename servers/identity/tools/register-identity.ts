import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { RegisterIdentityInput, RegisterIdentityOutput } from '../../../schemas/identity/tools.ts';
import { didDocument } from '../domain/did-document.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logHead } from './views.ts';

export function registerRegisterIdentity(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'register_identity',
    title: 'Register or update an identity',
    description:
      'Registers a DID from its signed Agent Card, or replaces the card with a newer version. The card must be ' +
      'signed by the DID’s current key; older, equal, expired or unsigned cards are refused.',
    scope: 'write',
    input: RegisterIdentityInput,
    output: RegisterIdentityOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ card }) => {
      const { state, created } = await deps.identities.register(card);
      return {
        structured: {
          did: state.did,
          created,
          version: state.card.version,
          document: didDocument(state),
          card: state.card,
          log_head: logHead(state),
          updated_at: state.updatedAt,
        },
        text: `${created ? 'registered' : 'updated'} ${state.did} (card version ${state.card.version})`,
      };
    },
  });
}
